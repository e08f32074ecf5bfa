//! What an ELF executable needs to run in an empty image: its interpreter and the shared
//! libraries of its dynamic section (`DT_NEEDED`), found as the dynamic loader finds them
//! (`DT_RPATH` when there is no `DT_RUNPATH`, then `DT_RUNPATH`, then `/etc/ld.so.conf.d`
//! and the standard directories; `$ORIGIN` expanded), their own needs followed transitively.
//!
//! 64-bit little-endian ELF only (x86-64 and AArch64), parsed here in a hundred lines: a
//! crate such as `object` or `goblin` would cost more compile time than the five fields read.
//! `LD_LIBRARY_PATH` is ignored: the image must not depend on the builder's shell.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

pub use crate::error::ElfError;
use crate::error::{Error, ErrorKind};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

/// The facts read from one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElfInfo {
    /// `e_machine` (62 x86-64, 183 AArch64).
    pub machine: u16,
    /// `PT_INTERP`, the dynamic loader's path.
    pub interpreter: Option<String>,
    /// `DT_NEEDED` names, in order.
    pub needed: Vec<String>,
    /// `DT_RPATH` directories.
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` directories.
    pub runpath: Vec<String>,
}

impl ElfInfo {
    /// The OCI architecture name (`amd64`, `arm64`).
    pub fn architecture(&self) -> Option<&'static str> {
        match self.machine {
            62 => Some("amd64"),
            183 => Some("arm64"),
            _ => None,
        }
    }

    fn multiarch(&self) -> &'static str {
        match self.machine {
            183 => "aarch64-linux-gnu",
            _ => "x86_64-linux-gnu",
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
fn cstr(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    String::from_utf8(rest[..end].to_vec()).ok()
}

/// Parses the ELF header, program headers and dynamic section of `bytes` (`what` names the
/// file in errors).
pub fn parse(bytes: &[u8], what: &str) -> Result<ElfInfo, ElfError> {
    let bad = |reason: &str| Error::new(ErrorKind::Executable, format!("{what}: {reason}"));
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err(bad(
            "not an ELF executable (no \\x7fELF magic); expected a Linux binary built by cargo",
        ));
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err(bad(
            "a 32-bit or big-endian ELF file; expected 64-bit little-endian (x86-64 or AArch64)",
        ));
    }
    let truncated = || bad("truncated ELF headers");
    let machine = u16_at(bytes, 18).ok_or_else(truncated)?;
    let phoff = u64_at(bytes, 32).ok_or_else(truncated)?;
    let phentsize = u16_at(bytes, 54).ok_or_else(truncated)?;
    let phnum = u16_at(bytes, 56).ok_or_else(truncated)?;
    let mut info = ElfInfo {
        machine,
        ..ElfInfo::default()
    };
    let mut loads = Vec::new();
    let mut dynamic = None;
    for i in 0..u64::from(phnum) {
        let at = usize::try_from(phoff + i * u64::from(phentsize)).map_err(|_| truncated())?;
        let p_type = u32_at(bytes, at).ok_or_else(truncated)?;
        let offset = u64_at(bytes, at + 8).ok_or_else(truncated)?;
        let vaddr = u64_at(bytes, at + 16).ok_or_else(truncated)?;
        let filesz = u64_at(bytes, at + 32).ok_or_else(truncated)?;
        match p_type {
            PT_LOAD => loads.push((vaddr, offset, filesz)),
            PT_DYNAMIC => dynamic = Some((offset, filesz)),
            PT_INTERP => {
                info.interpreter = Some(
                    cstr(bytes, usize::try_from(offset).map_err(|_| truncated())?)
                        .ok_or_else(|| bad("PT_INTERP is not a string"))?,
                );
            }
            _ => {}
        }
    }
    let Some((dyn_off, dyn_size)) = dynamic else {
        return Ok(info); // statically linked
    };
    let mut entries = Vec::new();
    let mut strtab = None;
    for i in 0..dyn_size / 16 {
        let at = usize::try_from(dyn_off + i * 16).map_err(|_| truncated())?;
        let tag = u64_at(bytes, at).ok_or_else(truncated)?;
        let val = u64_at(bytes, at + 8).ok_or_else(truncated)?;
        match tag {
            DT_NULL => break,
            DT_STRTAB => strtab = Some(val),
            DT_NEEDED | DT_RPATH | DT_RUNPATH => entries.push((tag, val)),
            _ => {}
        }
    }
    if entries.is_empty() {
        return Ok(info);
    }
    let strtab = strtab.ok_or_else(|| bad("a dynamic section without DT_STRTAB"))?;
    let strtab_off = loads
        .iter()
        .find(|(vaddr, _, size)| strtab >= *vaddr && strtab < vaddr + size)
        .map(|(vaddr, offset, _)| strtab - vaddr + offset)
        .ok_or_else(|| bad("DT_STRTAB is outside every PT_LOAD segment"))?;
    for (tag, val) in entries {
        let at = usize::try_from(strtab_off + val).map_err(|_| truncated())?;
        let s = cstr(bytes, at).ok_or_else(|| bad("a dynamic string past the end of the file"))?;
        match tag {
            DT_NEEDED => info.needed.push(s),
            DT_RPATH => info.rpath.extend(s.split(':').map(str::to_owned)),
            _ => info.runpath.extend(s.split(':').map(str::to_owned)),
        }
    }
    Ok(info)
}

/// One file the image needs from the host: where the loader will look for it in the image,
/// and the host file holding its bytes (symlinks followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFile {
    /// The absolute path in the image.
    pub image_path: String,
    /// The host file (canonical).
    pub host_path: PathBuf,
}

/// The loader's search directories after RPATH/RUNPATH: `/etc/ld.so.conf.d/*.conf` of the
/// host, then the standard ones for the architecture.
fn system_dirs(root: &Path, info: &ElfInfo) -> Vec<String> {
    let mut dirs = Vec::new();
    if let Ok(read) = std::fs::read_dir(root.join("etc/ld.so.conf.d")) {
        let mut confs: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        confs.sort();
        for conf in confs {
            for line in std::fs::read_to_string(conf).unwrap_or_default().lines() {
                let line = line.trim();
                if line.starts_with('/') {
                    dirs.push(line.to_string());
                }
            }
        }
    }
    let m = info.multiarch();
    for d in [
        format!("/lib/{m}"),
        format!("/usr/lib/{m}"),
        "/lib64".into(),
        "/usr/lib64".into(),
        "/lib".into(),
        "/usr/lib".into(),
    ] {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

/// Everything `binary` needs from `root` (the host, `/`): interpreter and libraries,
/// transitively, each at the path the loader looks it up by. Fails on a library that cannot
/// be found, naming it and the object that needs it.
pub fn runtime_files(binary: &Path, root: &Path) -> Result<(ElfInfo, Vec<RuntimeFile>), ElfError> {
    let read = |p: &Path| {
        std::fs::read(p)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read {}: {e}", p.display())))
    };
    let info = parse(&read(binary)?, &binary.display().to_string())?;
    if info.architecture().is_none() {
        return Err(Error::new(
            ErrorKind::Executable,
            format!(
                "{}: ELF machine {} is not supported; expected x86-64 or AArch64",
                binary.display(),
                info.machine
            ),
        ));
    }
    let host = |image_path: &str| root.join(image_path.trim_start_matches('/'));
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    if let Some(interp) = &info.interpreter {
        let canonical = host(interp).canonicalize().map_err(|e| {
            Error::new(
                ErrorKind::Executable,
                format!(
                    "{}: its interpreter {interp} cannot be found on this machine: {e}",
                    binary.display()
                ),
            )
        })?;
        files.insert(interp.clone(), canonical);
    }
    let system = system_dirs(root, &info);
    let origin_of = |p: &Path| {
        p.parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    };
    let mut queue: VecDeque<(String, ElfInfo, String)> = VecDeque::new();
    queue.push_back((
        binary.display().to_string(),
        info.clone(),
        origin_of(binary),
    ));
    let mut seen_names: Vec<String> = Vec::new();
    while let Some((who, obj, origin)) = queue.pop_front() {
        let expand = |d: &str| {
            d.replace("${ORIGIN}", &origin)
                .replace("$ORIGIN", &origin)
                .replace("$LIB", "lib")
        };
        let mut dirs: Vec<String> = Vec::new();
        if obj.runpath.is_empty() {
            dirs.extend(obj.rpath.iter().map(|d| expand(d)));
        }
        dirs.extend(obj.runpath.iter().map(|d| expand(d)));
        dirs.extend(system.iter().cloned());
        for name in &obj.needed {
            if seen_names.contains(name) {
                continue;
            }
            let candidates: Vec<String> = if name.contains('/') {
                vec![name.clone()]
            } else {
                dirs.iter()
                    .map(|d| format!("{}/{name}", d.trim_end_matches('/')))
                    .collect()
            };
            let found = candidates.into_iter().find_map(|image_path| {
                let host_path = if image_path.starts_with('/') {
                    host(&image_path)
                } else {
                    PathBuf::from(&image_path)
                };
                let bytes = std::fs::read(&host_path).ok()?;
                let lib = parse(&bytes, &image_path).ok()?;
                // The loader skips libraries of another architecture.
                (lib.machine == info.machine).then_some((image_path, host_path, lib))
            });
            let Some((image_path, host_path, lib)) = found else {
                return Err(Error::new(ErrorKind::Executable, format!(
                    "{who} needs {name}, which is in none of {}; install it or build a static binary",
                    dirs.join(":")
                )));
            };
            let canonical = host_path.canonicalize().map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot resolve {}: {e}", host_path.display()),
                )
            })?;
            seen_names.push(name.clone());
            let image_path = if image_path.starts_with('/') {
                image_path
            } else {
                format!("/app/bin/{name}")
            };
            files.insert(image_path, canonical.clone());
            queue.push_back((canonical.display().to_string(), lib, origin_of(&host_path)));
        }
    }
    Ok((
        info,
        files
            .into_iter()
            .map(|(image_path, host_path)| RuntimeFile {
                image_path,
                host_path,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_elf_with_a_reason() {
        let e = parse(b"#!/bin/sh\necho hi\n", "script").unwrap_err();
        assert!(
            e.context().starts_with("script: not an ELF executable"),
            "{e}"
        );
        let e = parse(b"\x7fELF\x01\x01", "old").unwrap_err();
        assert!(e.context().contains("32-bit"), "{e}");
        let e = parse(b"\x7fELF\x02\x01\x01", "short").unwrap_err();
        assert!(e.context().contains("truncated"), "{e}");
    }

    #[test]
    fn a_missing_interpreter_or_library_is_named() {
        let exe = std::env::current_exe().unwrap();
        let root = std::env::temp_dir().join(format!("dockerflow-elf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let e = runtime_files(&exe, &root).unwrap_err();
        assert!(
            e.context().contains("its interpreter") && e.context().contains("cannot be found"),
            "{e}"
        );

        // With the interpreter alone, the first library it needs is what is missing.
        let info = parse(&std::fs::read(&exe).unwrap(), "exe").unwrap();
        let interp = info.interpreter.unwrap();
        let at = root.join(interp.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::copy(&interp, &at).unwrap();
        let e = runtime_files(&exe, &root).unwrap_err();
        assert!(
            e.context().contains(" needs lib") && e.context().contains(", which is in none of /"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn reads_this_test_binary_like_ldd_does() {
        // The test executable itself is a dynamically linked Linux binary.
        let exe = std::env::current_exe().unwrap();
        let (info, files) = runtime_files(&exe, Path::new("/")).unwrap();
        assert!(
            info.needed.iter().any(|n| n.starts_with("libc.so")),
            "{info:?}"
        );
        let interp = info.interpreter.clone().unwrap();
        assert!(files.iter().any(|f| f.image_path == interp), "{files:?}");
        assert!(
            files.iter().any(|f| f.image_path.ends_with("/libc.so.6")),
            "{files:?}"
        );
        // Each host file is a real file (symlinks followed).
        for f in &files {
            let meta = std::fs::symlink_metadata(&f.host_path).unwrap();
            assert!(meta.is_file(), "{f:?}");
        }
        // What ldd prints, we find.
        let ldd = std::process::Command::new("ldd").arg(&exe).output();
        if let Ok(out) = ldd {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some(name) = line.split_whitespace().next() {
                    if name.starts_with("lib") {
                        assert!(
                            files
                                .iter()
                                .any(|f| f.image_path.ends_with(&format!("/{name}"))),
                            "ldd lists {name}; we found {files:?}"
                        );
                    }
                }
            }
        }
    }
}
