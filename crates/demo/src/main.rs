//! `dockerflow-demo`: see the library's crate documentation for routes and settings.
//!
//! Usage: `dockerflow-demo [serve]` (the image's `CMD` is `serve`), `healthcheck` (the image's
//! `HEALTHCHECK`), `--help`, `--version`.

use std::process::ExitCode;

use dockerflow_demo::settings::Settings;
use dockerflow_demo::Application;

const USAGE: &str = "usage: dockerflow-demo [serve | healthcheck]\n\n\
    serve        run the link shortener on $PORT (the default)\n\
    healthcheck  exit 0 when the service on $PORT answers /__lbheartbeat__ with 200 within a second, else 1\n\
    --help       this text\n\
    --version    the program's version\n\n\
    Configuration comes from the environment: PORT, DATABASE_URL, DATA_DIR and the DOCKERFLOW_* settings.";

#[allow(clippy::print_stdout, clippy::print_stderr)] // A binary's own messages to its user.
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve(),
        ["healthcheck"] => dockerflow::healthcheck(),
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["--version" | "-V"] => {
            println!("dockerflow-demo {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("dockerflow-demo: unknown arguments {other:?}: expected `serve` (the default), `healthcheck`, `--help` or `--version`");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("dockerflow-demo: cannot start the async runtime: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(dockerflow::main("dockerflow-demo", |df| async move {
        let settings = Settings::from_env()?;
        Application::build(df, settings)
            .await?
            .run_until_stopped()
            .await
    }))
}
