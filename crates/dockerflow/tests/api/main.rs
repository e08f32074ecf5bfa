//! Black-box tests of the service library: the example service (or an in-process server) on
//! a random loopback port, driven over HTTP as a load balancer or an operator would.

mod helpers;

mod checks;
mod config;
mod heartbeat;
mod in_process;
mod logging;
mod platform;
mod postgres;
mod static_files;
