//! `dockerflow-demo`: see the library's crate documentation for routes and settings.

use dockerflow_demo::settings::Settings;
use dockerflow_demo::Application;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dockerflow::main("dockerflow-demo", |df| async move {
        let settings = Settings::from_env()?;
        Application::build(df, settings)
            .await?
            .run_until_stopped()
            .await
    })
    .await
}
