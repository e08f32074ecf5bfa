//! The shell-command analyser: splitting, and users and groups created.

use crate::common::facts;
use dockerflow_dockerfile::{find_accounts, split_commands, AccountFile, DeclSource, Span};

/// Renders the accounts a script creates: `user NAME uid=.. group=..; group NAME gid=..`.
fn accounts(script: &str) -> String {
    let resolve = |w: &str| w.replace("$UID", "10001").replace("${GID}", "10001");
    let a = find_accounts(&split_commands(script), &resolve, Span::default());
    let mut out: Vec<String> = a
        .groups
        .iter()
        .map(|g| format!("group {} gid={}", g.name, opt(g.gid)))
        .collect();
    out.extend(a.users.iter().map(|u| {
        format!(
            "user {} uid={} group={}",
            u.name,
            opt(u.uid),
            u.primary_group.as_deref().unwrap_or("-")
        )
    }));
    out.join("; ")
}

fn opt(n: Option<u32>) -> String {
    n.map_or("-".into(), |n| n.to_string())
}

#[track_caller]
fn check(script: &str, expect: &str) {
    assert_eq!(accounts(script), expect, "script: {script}");
}

#[test]
fn shadow_utils() {
    check(
        "groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --home /app --create-home app",
        "group app gid=10001; user app uid=10001 group=10001",
    );
    check(
        "groupadd -g 10001 -r app; useradd -r -u 10001 -g app -M -d /app -s /sbin/nologin app",
        "group app gid=10001; user app uid=10001 group=app",
    );
    check(
        "useradd --uid=10001 --gid=app app",
        "user app uid=10001 group=app",
    );
    check("useradd -lu 10001 app", "user app uid=10001 group=-");
    check(
        "useradd -rm -d /app -u10001 app",
        "user app uid=10001 group=-",
    );
    check("useradd app -u 10001", "user app uid=10001 group=-");
    check(
        "useradd -c \"App user\" -u 10001 app",
        "user app uid=10001 group=-",
    );
    check(
        "useradd --uid \"10001\" 'app'",
        "user app uid=10001 group=-",
    );
    check("/usr/sbin/useradd -u 1 a", "user a uid=1 group=-");
    check("sudo useradd -u 1 a", "user a uid=1 group=-");
    check("useradd -u notanumber a", "user a uid=- group=-");
    check("groupadd -g 5 -- g", "group g gid=5");
}

#[test]
fn busybox() {
    check(
        "addgroup -S -g 10001 app && adduser -S -u 10001 -G app app",
        "group app gid=10001; user app uid=10001 group=app",
    );
    check(
        "adduser -u 10001 -G app -S -D -H app",
        "user app uid=10001 group=app",
    );
    check(
        "adduser -D -g 'App User' -u 10001 app",
        "user app uid=10001 group=-",
    );
    check("addgroup app wheel", "");
}

#[test]
fn debian() {
    check(
        "addgroup --gid 10001 --system app && adduser --uid 10001 --ingroup app --disabled-password --gecos \"\" app",
        "group app gid=10001; user app uid=10001 group=app",
    );
    check(
        "adduser --system --uid 10001 --group app",
        "group app gid=-; user app uid=10001 group=app",
    );
    check("adduser --group --gid 7 staff", "group staff gid=7");
    check("adduser app sudo", "");
}

#[test]
fn direct_file_edits() {
    check(
        "echo 'app:x:10001:10001::/app:/sbin/nologin' >> /etc/passwd",
        "user app uid=10001 group=10001",
    );
    check("echo \"app:x:10001:\" >> /etc/group", "group app gid=10001");
    check(
        "printf 'app:x:10001:10001::/app:/bin/false\\n' >> /etc/passwd",
        "user app uid=10001 group=10001",
    );
    check(
        "printf '%s\\n' 'app:x:10001:' 'web:x:10002:' >> /etc/group",
        "group app gid=10001; group web gid=10002",
    );
    check(
        "echo 'app:x:10001:10001::/app:/bin/sh' | tee -a /etc/passwd > /dev/null",
        "user app uid=10001 group=10001",
    );
    check(
        "echo -e 'a:x:1:1::/:/bin/sh\\nb:x:2:2::/:/bin/sh' >> /etc/passwd",
        "user a uid=1 group=1; user b uid=2 group=2",
    );
    check(
        "echo 'app:x:10001:10001::/app:/bin/sh' >> /etc/passwd.bak",
        "",
    );
    check(
        "cat <<EOF >> /etc/passwd\napp:x:10001:10001::/app:/bin/sh\nEOF\necho done",
        "user app uid=10001 group=10001",
    );
    check(
        "cat >> /etc/group <<-EOF\n\tapp:x:10001:\n\tEOF",
        "group app gid=10001",
    );
    check(
        "echo \"app:x:$UID:${GID}::/app:/bin/sh\" >> /etc/passwd",
        "user app uid=10001 group=10001",
    );
}

#[test]
fn nested_shells() {
    check(
        "sh -c 'groupadd -g 1 a && useradd -u 1 a'",
        "group a gid=1; user a uid=1 group=-",
    );
    check("bash -eux -c \"useradd -u 2 b\"", "user b uid=2 group=-");
    check("sh <<EOF\nuseradd -u 3 c\nEOF", "user c uid=3 group=-");
    check(&"sh -c '".repeat(50), "");
}

#[test]
fn variables_are_resolved() {
    check(
        "useradd -u $UID -g ${GID} app",
        "user app uid=10001 group=10001",
    );
}

#[test]
fn quoting_and_separators() {
    check(
        "echo 'useradd -u 1 fake' && useradd -u 2 real",
        "user real uid=2 group=-",
    );
    check("echo \"a && useradd -u 1 b\"", "");
    check("set -eux; useradd -u 1 a || true", "user a uid=1 group=-");
    check(
        "groupadd -g 1 a \\\n && useradd -u 1 a",
        "group a gid=1; user a uid=1 group=-",
    );
    check("if true; then useradd -u 1 a; fi", "user a uid=1 group=-");
    check("X=1 useradd -u 1 a", "user a uid=1 group=-");
    check("# useradd -u 1 commented", "");
    check("(groupadd -g 3 sub)", "group sub gid=3");
}

#[test]
fn split_commands_structure() {
    let cmds = split_commands("a 'b c' && d | e; f > /x 2>&1\ng <<EOF\nbody\nEOF\n");
    let shown: Vec<String> = cmds
        .iter()
        .map(|c| {
            let redirects: Vec<String> = c
                .redirects
                .iter()
                .map(|r| {
                    format!(
                        "{}{}{}",
                        r.fd.map(|f| f.to_string()).unwrap_or_default(),
                        r.op,
                        r.target
                    )
                })
                .collect();
            format!(
                "{:?}{}{}{}",
                c.words,
                if c.piped { " piped" } else { "" },
                if redirects.is_empty() {
                    String::new()
                } else {
                    format!(" {redirects:?}")
                },
                c.stdin
                    .as_deref()
                    .map(|s| format!(" stdin={s:?}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            r#"["a", "b c"]"#,
            r#"["d"]"#,
            r#"["e"] piped"#,
            r#"["f"] [">/x", "2>&1"]"#,
            r#"["g"] ["<<EOF"] stdin="body\n""#,
        ]
    );
}

#[test]
fn in_a_dockerfile() {
    let f = facts("FROM a\nARG UID=10001\nENV GROUP=app\nRUN groupadd -g $UID $GROUP && useradd -u ${UID} -g $GROUP app\n");
    assert_eq!(f.groups[0].name, "app");
    assert_eq!(f.groups[0].gid, Some(10001));
    assert_eq!(f.users[0].uid, Some(10001));
    assert_eq!(f.users[0].primary_group.as_deref(), Some("app"));
    assert_eq!(f.users[0].span.line, 4);
    assert_eq!(f.users[0].source, DeclSource::Useradd);
}

#[test]
fn run_heredoc_script() {
    let f = facts("FROM a\nRUN <<EOF\nset -e\ngroupadd -g 10001 app\nuseradd -u 10001 -g app \\\n  app\nEOF\n");
    assert_eq!(f.users.len(), 1);
    assert_eq!(f.users[0].uid, Some(10001));
    assert_eq!(f.groups[0].gid, Some(10001));
}

#[test]
fn run_heredoc_into_passwd() {
    let f = facts("FROM a\nRUN cat <<EOF >> /etc/passwd\napp:x:10001:10001::/app:/bin/sh\nEOF\n");
    assert_eq!(f.users[0].uid, Some(10001));
    assert_eq!(f.users[0].source, DeclSource::FileLine);
}

#[test]
fn run_heredoc_piped_to_a_shell() {
    let f = facts("FROM a\nRUN <<EOF bash\nuseradd -u 10001 app\nEOF\n");
    assert_eq!(f.users[0].uid, Some(10001));
}

#[test]
fn exec_form_run() {
    let f = facts("FROM a\nRUN [\"useradd\", \"-u\", \"10001\", \"app\"]\nRUN [\"/bin/sh\", \"-c\", \"groupadd -g 10001 app\"]\n");
    assert_eq!(f.users[0].uid, Some(10001));
    assert_eq!(f.groups[0].gid, Some(10001));
}

#[test]
fn copy_into_account_files() {
    let f = facts(
        "FROM a\nCOPY --from=build /etc/passwd /etc/passwd\nCOPY group /etc/\nCOPY x /etc/other\n",
    );
    let files: Vec<(AccountFile, Option<&str>)> = f
        .account_file_copies
        .iter()
        .map(|c| (c.file, c.from.as_deref()))
        .collect();
    assert_eq!(
        files,
        [
            (AccountFile::Passwd, Some("build")),
            (AccountFile::Group, None)
        ]
    );
}

#[test]
fn copy_heredoc_into_passwd_is_read() {
    let f = facts("FROM a\nARG UID=10001\nCOPY <<EOF /etc/passwd\nroot:x:0:0:root:/root:/bin/sh\napp:x:${UID}:10001::/app:/bin/sh\nEOF\n");
    assert!(f.account_file_copies.is_empty());
    let users: Vec<(&str, Option<u32>)> =
        f.users.iter().map(|u| (u.name.as_str(), u.uid)).collect();
    assert_eq!(users, [("root", Some(0)), ("app", Some(10001))]);
}

#[test]
fn literal_copy_heredoc_is_not_expanded() {
    let f = facts(
        "FROM a\nARG UID=10001\nCOPY <<'EOF' /etc/passwd\napp:x:${UID}:1::/app:/bin/sh\nEOF\n",
    );
    assert_eq!(f.users[0].uid, None);
}
