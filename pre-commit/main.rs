//! `dockerflow-pre-commit`: the `dockerflow` command under the name the repository's
//! pre-commit hook calls. pre-commit's `language: rust` runs `cargo install --path .` at the
//! root of the hook's repository, so the root manifest is this package; the command itself
//! is `dockerflow-cli`'s (a second binary named `dockerflow` would collide with it in the
//! target directory).

fn main() -> std::process::ExitCode {
    dockerflow_cli::main()
}
