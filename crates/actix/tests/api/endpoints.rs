//! The endpoints are answered by the middleware in front of the app's own (CONTRACT 1.2,
//! 1.5-1.7): the app's middleware never sees them (what they answer is the platform suite's,
//! `platform.rs`).

use crate::helpers::*;

#[tokio::test]
async fn the_apps_middleware_never_sees_the_endpoints() {
    let app = spawn_app(&[]);
    // The app's middleware marks what it sees, and answers 418 to any `/__` path.
    let home = get(app.address, "/").await;
    assert_eq!((home.status, home.text()), (200, "hello".to_owned()));
    assert_eq!(home.header("x-app-middleware"), Some("seen"));
    for path in ["/__version__", "/__heartbeat__", "/__lbheartbeat__/"] {
        for method in ["GET", "HEAD", "POST"] {
            let r = request(app.address, method, path, &[("Content-Length", "0")]).await;
            assert!(
                matches!(r.status, 200 | 405),
                "{method} {path}: {}",
                r.status
            );
            assert_eq!(r.header("x-app-middleware"), None, "{method} {path}");
        }
    }
    // A path that is not an endpoint is the app's, middleware included.
    assert_eq!(get(app.address, "/__other__").await.status, 418);
}
