//! Built-in heartbeat checks. Each is a plain struct with builder setters; every message id
//! it can report is listed in the crate documentation's table.
//!
//! | id | level | meaning |
//! |---|---|---|
//! | `dockerflow.health.E001` | error | cannot connect to the SQL database (python-dockerflow's id) |
//! | `dockerflow.health.E004` | error | cannot connect to Redis (python-dockerflow's id) |
//! | `dockerflow.health.E006` | error | Redis URL misconfigured (python-dockerflow's id) |
//! | `dockerflow.health.E007` | error | Redis answered the PING wrongly (python-dockerflow's id) |
//! | `dockerflow.health.E008` | error | the SQL database connection failed its ping (python-dockerflow's id) |
//! | `dockerflow.tcp.E001` | error | cannot open a TCP connection |
//! | `dockerflow.http.E001` | error | HTTP upstream unreachable or misconfigured |
//! | `dockerflow.http.E002` | error | HTTP upstream answered with an unexpected status |

#[cfg(feature = "http-check")]
mod http;
mod redis;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
mod tcp;

#[cfg(feature = "http-check")]
pub use self::http::HttpCheck;
pub use self::redis::RedisCheck;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use self::sql::SqlCheck;
pub use self::tcp::TcpCheck;
