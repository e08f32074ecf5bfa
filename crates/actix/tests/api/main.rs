//! Black-box tests of the actix-web adapter: `dockerflow-actix-example` on a random loopback
//! port, driven over HTTP as a load balancer or an operator would, every line it writes
//! validated against the contract's schemas.

mod helpers;

mod config;
mod endpoints;
mod platform;
mod requests;
mod same_as_tower;
