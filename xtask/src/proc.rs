//! Running child processes with clear errors.

use crate::Result;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn command(
    program: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn run_checked(mut cmd: Command) -> Result<()> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(&cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(&cmd)))
    }
}

/// Runs and returns stdout; stderr is passed through.
pub fn output(mut cmd: Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{}`: {e}", describe(&cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed ({})", describe(&cmd), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when the command can be started and exits 0 (output discarded).
pub fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Result<()> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| format!("could not write to `{}`: {e}", describe(cmd)))?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

pub fn cargo(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let mut cmd = command(
        std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        args,
        env,
    );
    cmd.current_dir(root);
    run_checked(cmd)
}

pub fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
        .map_err(|e| format!("could not install the Ctrl-C handler: {e}"))?;
    Ok(flag)
}

pub fn was_interrupted(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

pub fn wait_for_interrupt(flag: &AtomicBool) {
    while !was_interrupted(flag) {
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Asks a child to stop (SIGINT, then SIGKILL after `grace`) and reaps it.
pub fn stop_child(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `cmd` in the foreground until it exits or Ctrl-C is pressed.
pub fn run_until_interrupted(mut cmd: Command, flag: &AtomicBool) -> Result<ExitStatus> {
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", describe(&cmd)))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if was_interrupted(flag) {
            stop_child(&mut child, Duration::from_secs(10));
            return child.wait().map_err(|e| e.to_string());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
