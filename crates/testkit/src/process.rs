//! Child processes under test: a free loopback port to give them, their stdout and stderr
//! captured line by line, signals, and a bounded wait for them to listen or exit.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

type Lines = Arc<Mutex<Vec<String>>>;

/// A child process with piped stdout and stderr, each read into lines by its own thread.
/// Killed and reaped on drop.
#[derive(Debug)]
pub struct Process {
    child: Option<Child>,
    stdout: Lines,
    stderr: Lines,
}

impl Process {
    /// Spawns `command` with stdin closed and stdout and stderr captured.
    pub fn spawn(command: &mut Command) -> Process {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
        let stdout = capture(child.stdout.take().expect("stdout"));
        let stderr = capture(child.stderr.take().expect("stderr"));
        Process {
            child: Some(child),
            stdout,
            stderr,
        }
    }

    /// Waits until `address` accepts a connection, at most `limit`; panics, with what the
    /// process wrote on stderr, when it exits first or never listens.
    pub fn wait_listening(&mut self, address: SocketAddr, limit: Duration) {
        let deadline = Instant::now() + limit;
        while TcpStream::connect(address).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                // Let the capture threads drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                panic!(
                    "the app exited ({status}); stderr: {:?}",
                    self.stderr_lines()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the app never listened; stderr: {:?}",
                self.stderr_lines()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal with the `kill` command (no libc needed).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// Waits for the process to exit, at most `limit`; kills it and panics if it does not.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                // Let the capture threads drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the app did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the process (SIGKILL), if it still runs, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every stdout line so far, as written.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every stderr line so far, as written.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn capture(stream: impl std::io::Read + Send + 'static) -> Lines {
    let lines = Lines::default();
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(l) => sink.lock().unwrap_or_else(PoisonError::into_inner).push(l),
                Err(_) => break,
            }
        }
    });
    lines
}
