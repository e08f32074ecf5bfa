//! The HTML page and the SVG badge: every finding present and escaped, nothing external,
//! well-formed XML for the badge.

use dockerflow_check::{rule, InputKind, Location, Outcome, Profile, Report, RULES};
use dockerflow_report::{badge, render, render_all, Format};

use crate::{assert_well_formed, dockerfile_report, finding, image_report, options};

/// An image report whose input and findings carry markup.
fn hostile_report() -> Report {
    let mut r = image_report();
    r.subject = "oci:/tmp/<script>alert(1)</script>&\"x'".to_string();
    r.findings[1].found = "User \"<b>root</b>\" & uid 0".to_string();
    r
}

/// `href` values, in order.
fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').expect("closing quote")])
        .collect()
}

#[test]
fn html_shows_the_verdict_and_every_broken_rule_in_full() {
    let html = render(Format::Html, &image_report(), &options());
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{html}"
    );
    assert!(html.trim_end().ends_with("</html>"));
    assert!(
        html.contains("verdict: FAIL (1 failed, 0 warned, 1 passed, 1 skipped, 1 ignored)"),
        "{html}"
    );
    let df203 = rule("DF203").expect("rule");
    let failure = &html[html
        .find("<article class=\"finding fail\">")
        .expect("failure")..];
    let failure = &failure[..failure.find("</article>").expect("end")];
    for part in [
        format!("<a class=\"id\" href=\"{}\">DF203</a>", df203.help_uri()),
        "<dt>Found</dt><dd>User &quot;root&quot; is root (uid 0)</dd>".to_string(),
        "<dt>Expected</dt><dd>the expected &lt;thing&gt; &amp; more</dd>".to_string(),
        "<dt>Where</dt><dd>image config User</dd>".to_string(),
        format!(
            "<dt>Fix</dt><dd>{}</dd>",
            dockerflow_report::junit::escape(df203.fix)
        ),
        "[MUST]".to_string(),
    ] {
        assert!(failure.contains(&part), "{part} not in {failure}");
    }
    // The ignored rule with its reason, the skipped one with why, the pass with what it found.
    assert!(
        html.contains("<article class=\"finding ignored\">"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Ignored</dt><dd>set by the chart</dd>"),
        "{html}"
    );
    assert!(
        html.contains(">DF401</a>: ") && html.contains("no file\u{FFFD}here"),
        "{html}"
    );
    assert!(html.contains(">DF101</a>: ") && html.contains("(found: /app holds 2 entries)"));
}

#[test]
fn html_escapes_everything_from_the_input() {
    let html = render(Format::Html, &hostile_report(), &options());
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    assert!(
        html.contains("oci:/tmp/&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&apos;"),
        "{html}"
    );
    assert!(
        html.contains("User &quot;&lt;b&gt;root&lt;/b&gt;&quot; &amp; uid 0"),
        "{html}"
    );
}

#[test]
fn html_has_no_external_asset_only_rule_links() {
    let mut reports = vec![dockerfile_report(), hostile_report()];
    reports[0].subject = "ops/Dockerfile".into();
    let html = render_all(Format::Html, &reports, &options());
    for asset in [
        "<script", "<link", "<img", "<iframe", "<object", "src=", "@import", "url(",
    ] {
        assert!(!html.contains(asset), "{asset} in the page");
    }
    let rule_links: Vec<String> = RULES.iter().map(|r| r.help_uri()).collect();
    let links = hrefs(&html);
    assert!(
        links.len() > RULES.len(),
        "a link per rule at least: {links:?}"
    );
    for href in &links {
        assert!(
            rule_links.iter().any(|l| l == href) || href.starts_with("#input-"),
            "{href} is neither a rule's documentation nor an anchor"
        );
    }
    // Every http in the page is one of those links (an href, or its text).
    let mut rest = html.clone();
    for l in &rule_links {
        rest = rest.replace(l.as_str(), "");
    }
    assert!(!rest.contains("http"), "{rest}");
}

#[test]
fn html_of_several_inputs_starts_with_a_summary_table() {
    let passing = Report {
        kind: InputKind::Dockerfile,
        subject: "good/Dockerfile".into(),
        profile: Profile::Strict,
        findings: vec![finding(
            "DF101",
            Outcome::Pass,
            "",
            Location::default(),
            None,
        )],
    };
    let html = render_all(Format::Html, &[image_report(), passing], &options());
    assert!(
        html.contains("<title>dockerflow check, 2 inputs: FAIL</title>"),
        "{html}"
    );
    let table = &html[html.find("<table class=\"summary\">").expect("table")..];
    let table = &table[..table.find("</table>").expect("end")];
    assert!(
        table.contains(
            "<tr><td><a href=\"#input-0\">image oci:/tmp/img</a></td><td class=\"fail\">FAIL</td><td class=\"id\">DF203</td></tr>"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "<tr><td><a href=\"#input-1\">dockerfile good/Dockerfile</a></td><td class=\"pass\">PASS</td><td class=\"id\">none</td></tr>"
        ),
        "{table}"
    );
    assert!(html.contains("<section id=\"input-0\">") && html.contains("<section id=\"input-1\">"));
    // One report: no table.
    assert!(!render(Format::Html, &image_report(), &options()).contains("<table"));
}

/// The badge's width and its halves' widths.
fn widths(svg: &str) -> (u32, Vec<u32>) {
    let number = |s: &str| -> u32 { s[..s.find('"').expect("quote")].parse().expect("number") };
    let total = number(&svg[svg.find("width=\"").expect("width") + 7..]);
    let halves = svg
        .split("<rect ")
        .skip(2)
        .take(2)
        .map(|r| number(&r[r.find("width=\"").expect("width") + 7..]))
        .collect();
    (total, halves)
}

#[test]
fn the_badge_says_compliant_or_how_many_failed() {
    let xml = |svg: &str| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}");
    let failing = render(Format::Badge, &image_report(), &options());
    assert_well_formed(&xml(&failing));
    assert!(
        failing.contains("aria-label=\"dockerflow: 1 failed\""),
        "{failing}"
    );
    assert!(failing.contains(">1 failed</text>") && failing.contains("#e05d44"));
    assert!(!failing.contains("href") && !failing.contains("<script"));

    let mut passing = image_report();
    passing.findings.retain(|f| f.outcome != Outcome::Fail);
    let svg = render(Format::Badge, &passing, &options());
    assert_well_formed(&xml(&svg));
    assert!(
        svg.contains(">compliant</text>") && svg.contains("#4c1"),
        "{svg}"
    );

    passing.findings[1].ignored = None;
    let svg = render(Format::Badge, &passing, &options());
    assert!(
        svg.contains(">compliant, 1 warned</text>") && svg.contains("#dfb317"),
        "{svg}"
    );

    // Several inputs: one badge, their failures added up.
    let all = render_all(Format::Badge, &[image_report(), image_report()], &options());
    assert!(all.contains(">2 failed</text>"), "{all}");
}

#[test]
fn the_badge_width_follows_its_text() {
    let short = badge::svg("dockerflow", "compliant", "#4c1");
    let long = badge::svg("dockerflow", "compliant, 12 warned", "#dfb317");
    let (w_short, halves_short) = widths(&short);
    let (w_long, halves_long) = widths(&long);
    assert_eq!(halves_short.iter().sum::<u32>(), w_short, "{short}");
    assert_eq!(halves_long.iter().sum::<u32>(), w_long, "{long}");
    assert_eq!(halves_short[0], halves_long[0], "same label, same width");
    assert!(
        halves_long[1] > halves_short[1] + 40,
        "{halves_short:?} {halves_long:?}"
    );
    // shields.io's own badge for "dockerflow" is 71 px wide at this font (61 px of text).
    assert_eq!(halves_short[0], badge::text_width("dockerflow") + 10);
    assert!((58..=64).contains(&badge::text_width("dockerflow")));
    // Markup in a message is escaped.
    let odd = badge::svg("a<b", "c&d", "#4c1");
    assert_well_formed(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{odd}"
    ));
    assert!(odd.contains(">a&lt;b</text>") && odd.contains(">c&amp;d</text>"));
}

/// Inputs a run could not check, in every format but text (whose caller appends the table):
/// never a pass, the name escaped wherever markup can be.
#[test]
fn a_run_that_could_not_check_an_input_reads_as_an_error_in_every_format() {
    use dockerflow_report::{render_run, Unchecked};
    let gone = Unchecked {
        kind: InputKind::Image,
        name: "oci:/tmp/<gone>&".into(),
        error: "cannot check image oci:/tmp/<gone>&: no such directory".into(),
    };
    let unchecked = std::slice::from_ref(&gone);
    let mut passing = image_report();
    passing
        .findings
        .retain(|f| matches!(f.outcome, Outcome::Pass | Outcome::Skipped(_)));
    let passing = [passing];
    let html = render_run(Format::Html, &passing, unchecked, &options());
    assert!(
        html.contains("<h1>dockerflow check, 2 inputs: ERROR</h1>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<li id=\"not-checked-0\">image <code>oci:/tmp/&lt;gone&gt;&amp;</code>: cannot check"
        ),
        "{html}"
    );
    assert!(!html.contains("<gone>"), "{html}");
    assert!(hrefs(&html).contains(&"#not-checked-0"), "{html}");
    // Nothing checked at all: still a page, its verdict ERROR.
    let html = render_run(Format::Html, &[], unchecked, &options());
    assert!(
        html.contains("<h1>dockerflow check oci:/tmp/&lt;gone&gt;&amp;: ERROR</h1>"),
        "{html}"
    );
    for reports in [&passing[..], &[]] {
        let svg = render_run(Format::Badge, reports, unchecked, &options());
        assert!(
            svg.contains("aria-label=\"dockerflow: 1 not checked\""),
            "{svg}"
        );
        let junit = render_run(Format::Junit, reports, unchecked, &options());
        assert_well_formed(&junit);
        assert!(
            junit.contains(&format!(
                "<testsuites name=\"dockerflow check\" tests=\"{}\" failures=\"0\" errors=\"1\"",
                reports.iter().map(|r| r.findings.len()).sum::<usize>() + 1
            )),
            "{junit}"
        );
        let gnu = render_run(Format::Gnu, reports, unchecked, &options());
        assert_eq!(
            gnu,
            "/tmp/<gone>&: error not checked: cannot check image oci:/tmp/<gone>&: no such directory\n"
        );
        let sarif: serde_json::Value =
            serde_json::from_str(&render_run(Format::Sarif, reports, unchecked, &options()))
                .expect("sarif");
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"],
            false
        );
    }
    let failing = [image_report()];
    let svg = render_run(Format::Badge, &failing, unchecked, &options());
    assert!(
        svg.contains("aria-label=\"dockerflow: 1 failed, 1 not checked\""),
        "{svg}"
    );
    // With every input checked, a run renders as render_all does.
    for format in [
        Format::Html,
        Format::Junit,
        Format::Sarif,
        Format::Badge,
        Format::Gnu,
    ] {
        assert_eq!(
            render_run(format, &failing, &[], &options()),
            render_all(format, &failing, &options())
        );
    }
}
