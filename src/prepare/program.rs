//! The program, its arguments, its environment and its working directory.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Lowering;
use crate::Error;
use crate::plan::ProgramPlan;
use crate::spec::Spec;
use crate::sys::CStrArrayBuilder;

/// PATH used when the child's environment has none (glibc's default).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// When the child's environment is read, if the command does not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvCapture {
    /// Copied now, for a [`Prepared`](crate::Prepared) that is spawned later,
    /// maybe many times: each child gets the environment of `prepare()`.
    AtPrepare,
    /// Passed as the parent's `environ` at the spawn (std's behaviour), for
    /// `Command::spawn` and friends, which spawn right after preparing.
    AtSpawn,
}

/// argv, envp, the exec paths and the working directory. The program's fd
/// (`from_fd`) is copied later, with the other fds.
pub(super) fn lower(
    spec: &Spec,
    env_capture: EnvCapture,
    cx: &Lowering<'_>,
) -> Result<ProgramPlan, Error> {
    let argv = argv(spec, cx)?;

    // envp: the parent's own at spawn time when nothing changes it and the
    // caller spawns right away (no copy at all), else built here.
    // An empty root without a working directory picks one in the child,
    // with an environment per candidate: those are built here.
    let cwd_fallback = spec.empty_root && spec.current_dir.is_none();
    let inherit_env = cfg!(feature = "std")
        && env_capture == EnvCapture::AtSpawn
        && !spec.env_clear
        && spec.env_changes.is_empty()
        && !cwd_fallback;
    let mut cwd_fallbacks = Vec::new();
    let (envp, path_var) = if inherit_env {
        (None, inherited_path())
    } else {
        let mut env = environment(spec);
        for (key, value) in &env {
            if key.is_empty() || key.contains(&b'=') {
                return Err(cx.invalid(format!(
                    "environment variable name {:?} is empty or contains '='",
                    String::from_utf8_lossy(key)
                )));
            }
            if key.contains(&0) || value.contains(&0) {
                return Err(cx.invalid(format!(
                    "environment variable {:?} contains a NUL byte",
                    String::from_utf8_lossy(key)
                )));
            }
        }
        let envp = env_array(&env);
        if cwd_fallback {
            for dir in working_dir_candidates(&env) {
                set_var(&mut env, b"PWD", &dir);
                let Ok(dir) = CString::new(dir) else { continue };
                cwd_fallbacks.push((dir, env_array(&env)));
            }
        }
        let path = env.into_iter().find(|(k, _)| k == b"PATH").map(|(_, v)| v);
        (Some(envp), path)
    };

    // The program: one path, or the PATH candidates of the child's
    // environment.
    if spec.program.contains(&0) {
        return Err(cx.invalid("the program name contains a NUL byte"));
    }
    let searched_path =
        spec.program_fd.is_none() && !spec.program.is_empty() && !spec.program.contains(&b'/');
    let exec_paths = if searched_path {
        path_candidates(&spec.program, path_var.as_deref())
            .map_err(|_| cx.invalid("a PATH entry contains a NUL byte"))?
    } else if spec.program_fd.is_some() {
        Vec::new()
    } else {
        alloc::vec![CString::new(spec.program.clone()).unwrap_or_default()]
    };

    let cwd = spec
        .current_dir
        .as_deref()
        .map(|dir| cx.c_string(dir, "the working directory"))
        .transpose()?;

    Ok(ProgramPlan {
        name: cx.program.into(),
        fd: None,
        fd_survives_exec: false,
        exec_paths,
        searched_path,
        argv,
        envp,
        cwd,
        cwd_fallbacks,
    })
}

/// An environment as `execve` takes it (checked for NUL bytes already).
fn env_array(env: &[(Vec<u8>, Vec<u8>)]) -> crate::sys::CStrArray {
    let env_len = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut envp = CStrArrayBuilder::with_capacity(env_len);
    for (key, value) in env {
        let _ = envp.push(&[key, b"=", value]);
    }
    envp.finish()
}

/// Sets `key` in `env`, in place or last.
fn set_var(env: &mut Vec<(Vec<u8>, Vec<u8>)>, key: &[u8], value: &[u8]) {
    match env.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.to_vec(),
        None => env.push((key.to_vec(), value.to_vec())),
    }
}

/// Where a program in an empty root starts when no working directory is
/// set, in the order tried: the caller's working directory, the child's
/// `$HOME`, `/` (bubblewrap's rule).
fn working_dir_candidates(env: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut dirs = Vec::new();
    if let Some(cwd) = super::read_link("/proc/self/cwd").filter(|cwd| cwd.starts_with(b"/")) {
        dirs.push(cwd);
    }
    if let Some((_, home)) = env.iter().find(|(k, _)| k == b"HOME")
        && home.starts_with(b"/")
    {
        dirs.push(home.clone());
    }
    dirs.push(b"/".to_vec());
    let mut unique: Vec<Vec<u8>> = Vec::new();
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

/// argv, in one buffer.
fn argv(spec: &Spec, cx: &Lowering<'_>) -> Result<crate::sys::CStrArray, Error> {
    let arg0 = spec.arg0.as_deref().unwrap_or(&spec.program);
    let argv_len = spec.args.iter().map(|a| a.len() + 1).sum::<usize>() + arg0.len() + 1;
    let mut argv = CStrArrayBuilder::with_capacity(argv_len);
    argv.push(&[arg0]).map_err(|_| {
        cx.invalid(format!(
            "{} contains a NUL byte",
            if spec.arg0.is_some() {
                "arg0"
            } else {
                "the program name"
            }
        ))
    })?;
    for (i, arg) in spec.args.iter().enumerate() {
        argv.push(&[arg])
            .map_err(|_| cx.invalid(format!("argument {} contains a NUL byte", i + 1)))?;
    }
    Ok(argv.finish())
}

/// The paths `execvpe` tries for `program` (no `/` in it) with this `PATH`
/// (glibc's default when `None`): each entry joined with the program, an
/// empty entry meaning the current directory. `Err` if a path holds a NUL.
pub(crate) fn path_candidates(
    program: &[u8],
    path_var: Option<&[u8]>,
) -> Result<Vec<CString>, alloc::ffi::NulError> {
    path_var
        .unwrap_or(DEFAULT_PATH)
        .split(|&b| b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { b".".as_slice() } else { dir };
            let mut full = Vec::with_capacity(dir.len() + 1 + program.len());
            full.extend_from_slice(dir);
            full.push(b'/');
            full.extend_from_slice(program);
            CString::new(full)
        })
        .collect()
}

/// The child's environment: the parent's (unless cleared) with the changes
/// applied (the last one per name). Order is kept; new variables go last.
fn environment(spec: &Spec) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut env = if spec.env_clear {
        Vec::new()
    } else {
        parent_environment()
    };
    for (key, value) in &spec.env_changes {
        let existing = env.iter().position(|(k, _)| k == key);
        match (existing, value) {
            (Some(i), Some(value)) => env[i].1 = value.clone(),
            (None, Some(value)) => env.push((key.clone(), value.clone())),
            (Some(i), None) => {
                env.remove(i);
            }
            (None, None) => {}
        }
    }
    env
}

/// The parent's `PATH`, for the PATH search of a child that inherits the
/// environment.
#[cfg(feature = "std")]
pub(crate) fn inherited_path() -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    std::env::var_os("PATH").map(|path| path.into_vec())
}

#[cfg(not(feature = "std"))]
pub(crate) fn inherited_path() -> Option<Vec<u8>> {
    parent_environment()
        .into_iter()
        .find(|(k, _)| k == b"PATH")
        .map(|(_, v)| v)
}

/// The parent's current environment (std's view, so `set_var` counts).
#[cfg(feature = "std")]
fn parent_environment() -> Vec<(Vec<u8>, Vec<u8>)> {
    use std::os::unix::ffi::OsStringExt;
    std::env::vars_os()
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect()
}

/// Without std there is no `environ` to read: use the environment the
/// process started with, from `/proc/self/environ`.
#[cfg(not(feature = "std"))]
fn parent_environment() -> Vec<(Vec<u8>, Vec<u8>)> {
    let Some(bytes) = super::read_small_file(c"/proc/self/environ") else {
        return Vec::new();
    };
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            Some((entry[..eq].to_vec(), entry[eq + 1..].to_vec()))
        })
        .collect()
}
