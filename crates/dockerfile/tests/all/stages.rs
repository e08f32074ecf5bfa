//! Stages: ARG in FROM, stage references, inheritance.

use crate::common::{cmd_text, facts};
use dockerflow_dockerfile::{parse, parse_with_args};

fn base(src: &str, args: &[(&str, &str)]) -> String {
    let (df, errors) = parse_with_args(src, args);
    assert!(errors.is_empty(), "{errors:?}");
    df.final_stage().unwrap().base.reference.clone()
}

#[test]
fn global_args_expand_in_from() {
    let src = "ARG BASE=debian\nARG TAG=12-slim\nFROM $BASE:${TAG}\n";
    assert_eq!(base(src, &[]), "debian:12-slim");
    assert_eq!(base(src, &[("TAG", "11")]), "debian:11");
    assert_eq!(
        base(src, &[("BASE", "ubuntu"), ("TAG", "24.04")]),
        "ubuntu:24.04"
    );
}

#[test]
fn global_arg_defaults_see_earlier_global_args() {
    assert_eq!(base("ARG A=1\nARG B=${A}2\nFROM img:$B\n", &[]), "img:12");
}

#[test]
fn undeclared_build_args_do_not_reach_from() {
    assert_eq!(base("FROM ${B:-x}\n", &[("B", "y")]), "x");
    assert_eq!(base("ARG B\nFROM ${B:-x}\n", &[("B", "y")]), "y");
    assert_eq!(base("ARG B\nFROM ${B:-x}\n", &[]), "x");
}

#[test]
fn platform_is_expanded() {
    let (df, _) = parse_with_args("ARG P=linux/amd64\nFROM --platform=$P a\n", &[]);
    assert_eq!(df.stages[0].base.platform.as_deref(), Some("linux/amd64"));
    let (df, _) = parse("FROM --platform=$BUILDPLATFORM a\n");
    assert_eq!(df.stages[0].base.platform, None);
}

#[test]
fn global_args_in_a_stage_need_redeclaring() {
    let f = facts("ARG V=1\nFROM a\nENV X=${V:-unset}\nARG V\nENV Y=$V\n");
    assert_eq!(f.env("X"), Some("unset"));
    assert_eq!(f.env("Y"), Some("1"));
    let (df, _) = parse_with_args("ARG V=1\nFROM a\nARG V\nENV Y=$V\n", &[("V", "2")]);
    assert_eq!(df.facts().unwrap().env("Y"), Some("2"));
}

#[test]
fn stage_references() {
    let (df, _) = parse("FROM golang AS Build\nFROM build\nFROM later\nFROM alpine AS later\n");
    assert_eq!(df.stages[1].base.stage, Some(0));
    assert!(df.stages[1].base.is_stage());
    assert_eq!(
        df.stages[2].base.stage, None,
        "a forward reference is an image"
    );
    assert_eq!(df.stage("BUILD").map(|s| s.index), Some(0));
    assert_eq!(df.stage("3").map(|s| s.index), Some(3));
    assert!(df.stage("nope").is_none());
}

#[test]
fn scratch() {
    let (df, _) = parse("FROM scratch\n");
    assert!(df.stages[0].base.is_scratch());
}

#[test]
fn child_stage_inherits_config() {
    let f = facts(
        "FROM node:20 AS base\nUSER app\nWORKDIR /app\nENV X=1\nEXPOSE 80\nLABEL l=v\n\
         ENTRYPOINT [\"e\"]\nCMD [\"c\"]\nFROM base AS final\n",
    );
    assert_eq!(f.user.as_ref().unwrap().value, "app");
    assert_eq!(f.user.as_ref().unwrap().span.line, 2);
    assert_eq!(f.workdir.as_ref().unwrap().value, "/app");
    assert_eq!(f.env("X"), Some("1"));
    assert_eq!(f.expose[0].value, "80");
    assert_eq!(f.label("l"), Some("v"));
    assert_eq!(cmd_text(&f.entrypoint), "exec[\"e\"]");
    assert_eq!(cmd_text(&f.cmd), "exec[\"c\"]");
    assert_eq!(f.lineage, vec![0, 1]);
    assert_eq!(f.root_base.reference, "node:20");
    assert_eq!(f.base.reference, "base");
}

#[test]
fn entrypoint_resets_an_inherited_cmd() {
    let f = facts("FROM a AS base\nCMD [\"c\"]\nFROM base\nENTRYPOINT [\"e\"]\n");
    assert_eq!(cmd_text(&f.cmd), "none");
    assert_eq!(cmd_text(&f.entrypoint), "exec[\"e\"]");
}

#[test]
fn entrypoint_keeps_a_cmd_set_earlier_in_the_same_stage() {
    let f = facts("FROM a\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n");
    assert_eq!(cmd_text(&f.cmd), "exec[\"c\"]");
    let f = facts("FROM a\nENTRYPOINT [\"e\"]\nCMD [\"c\"]\n");
    assert_eq!(cmd_text(&f.cmd), "exec[\"c\"]");
}

#[test]
fn args_are_not_inherited_across_stages() {
    let f = facts("FROM a AS base\nARG V=1\nENV E=1\nFROM base\nENV X=${V:-no} Y=$E\n");
    assert_eq!(f.env("X"), Some("no"));
    assert_eq!(f.env("Y"), Some("1"));
}

#[test]
fn a_non_parent_stage_does_not_leak() {
    let f = facts("FROM a AS build\nUSER root\nRUN make\nFROM b\nCOPY --from=build /out /app\n");
    assert!(f.user.is_none());
    assert!(f.runs.is_empty());
    assert_eq!(f.copies[0].from.as_deref(), Some("build"));
    assert_eq!(f.lineage, vec![1]);
}

#[test]
fn facts_for_a_target() {
    let (df, _) = parse("FROM a AS build\nUSER builder\nFROM b\nUSER app\n");
    assert_eq!(
        df.facts_for("build").unwrap().user.unwrap().value,
        "builder"
    );
    assert_eq!(df.facts_for("1").unwrap().user.unwrap().value, "app");
    assert!(df.facts_for("missing").is_none());
}

#[test]
fn runs_include_parent_stages() {
    let f = facts("FROM a AS base\nRUN one\nFROM base\nRUN two\n");
    let runs: Vec<(usize, String)> = f
        .runs
        .iter()
        .map(|r| (r.stage, r.command.to_line()))
        .collect();
    assert_eq!(runs, vec![(0, "one".into()), (1, "two".into())]);
}

#[test]
fn global_arg_lookup() {
    let (df, _) = parse_with_args("ARG A=1\nARG B\nFROM x\n", &[("C", "3")]);
    assert_eq!(df.global_arg("A"), Some("1"));
    assert_eq!(df.global_arg("B"), None);
    assert_eq!(df.build_args(), &[("C".to_owned(), "3".to_owned())]);
}
