//! Black-box tests of the demo: the binary on a random loopback port, driven over HTTP as a
//! browser, a load balancer or an operator would, with every log line checked as mozlog.

mod helpers;

mod browser;
mod heartbeat;
mod in_process;
mod kubernetes;
mod links;
mod metrics;
mod persistence;
mod postgres;
mod static_page;
