//! The `dockerflow` binary: the command is the library's [`dockerflow_cli::main`].

fn main() -> std::process::ExitCode {
    dockerflow_cli::main()
}
