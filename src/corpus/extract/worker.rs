//! Extraction in a child process, where it can be bounded and killed.
//!
//! A hostile PDF of 100 KB can hold a compressed stream that inflates to
//! gigabytes, and the parsers that read it allocate for all of it: in the
//! main process that ends the whole batch with an out-of-memory abort. A
//! thread can be neither limited nor killed, so an extraction that overruns
//! its time would also keep its core and memory until it finished. A
//! process can be both (the answer of Apache Tika's forked mode and of
//! browsers' renderer processes):
//! - the child limits its own address space (`RLIMIT_AS`) to
//!   [`memory_limit`] and its CPU time to the time limit plus a margin, so
//!   an allocation beyond it fails and the child dies alone;
//! - the parent kills it at the time limit, which frees everything at once;
//! - at most [`MAX_WORKERS`] children run at once, so extraction memory
//!   stays under `MAX_WORKERS x memory_limit` whatever the thread count.
//!
//! The protocol is one document per process: the document's bytes on the
//! child's stdin, `ok FORMAT\n` and the text (or `err\n` and a message) on
//! its stdout. A fresh process per file costs about 2 ms, small beside
//! parsing a PDF, and nothing one file does can leak into the next.

use super::{catch_panic, extract_capped, DocumentFormat, Extracted, Limits};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// The first argument that makes the `docclass` binary serve one
/// extraction instead of running a command (see [`serve`]).
pub const WORKER_ARG: &str = "__extract-worker";

/// Address space every worker may use at least. Ordinary PDFs of several
/// hundred pages need well under half of it; the decompression bombs that
/// motivated workers (a 96 KB PDF inflating to 32 MB took 1.8 GB to
/// parse) do not fit.
pub const MIN_WORKER_MEMORY: u64 = 1024 * 1024 * 1024;

/// Most worker processes alive at once, so that total extraction memory is
/// bounded (4 x 1 GiB by default) on a machine with any number of cores.
pub const MAX_WORKERS: usize = 4;

/// How the current program starts a worker: the program and the arguments
/// before the worker's own options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    /// This very executable with [`WORKER_ARG`]: for a binary whose `main`
    /// hands that argument to [`serve`].
    pub fn current_exe() -> std::io::Result<Self> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args: vec![WORKER_ARG.into()],
        })
    }
}

static WORKER: OnceLock<WorkerCommand> = OnceLock::new();

/// Makes [`super::extract_bounded`] read PDF, DOCX, ODT and large HTML in
/// worker processes started with `command`, for the rest of the process.
/// Returns false if a worker command was already set (the first one stays).
pub fn use_worker_process(command: WorkerCommand) -> bool {
    WORKER.set(command).is_ok()
}

pub(super) fn configured() -> Option<&'static WorkerCommand> {
    WORKER.get()
}

/// Address-space limit of a worker: [`MIN_WORKER_MEMORY`], or 16 times the
/// size limit when `--max-doc-bytes` is raised so far that a document
/// within it needs more.
pub fn memory_limit(max_bytes: usize) -> u64 {
    MIN_WORKER_MEMORY.max((max_bytes as u64).saturating_mul(16))
}

/// Counting semaphore over the live workers.
struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
}

static SLOTS: Slots = Slots {
    used: Mutex::new(0),
    freed: Condvar::new(),
};

struct Slot;

impl Slot {
    fn acquire() -> Slot {
        let mut used = SLOTS.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= MAX_WORKERS {
            used = SLOTS.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut used = SLOTS.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(1);
        SLOTS.freed.notify_one();
    }
}

/// Most bytes of a worker's stderr kept: enough for the runtime's one-line
/// reason for an abort ("memory allocation of N bytes failed").
const STDERR_BYTES: u64 = 4096;

/// Extracts `bytes` in a worker process. If the worker cannot even be
/// started (the executable was deleted during a long run), the document is
/// read on a thread instead, bounded in time only: losing the bound is
/// better than losing the document.
pub(super) fn extract_in_worker(
    command: &WorkerCommand,
    bytes: Vec<u8>,
    kind: &str,
    limits: &Limits,
) -> Result<Extracted, String> {
    let _slot = Slot::acquire();
    let memory = memory_limit(limits.max_bytes);
    let spawned = Command::new(&command.program)
        .args(&command.args)
        .arg(memory.to_string())
        .arg(limits.max_bytes.to_string())
        .arg(limits.time.as_secs().saturating_add(5).to_string())
        // An allocator that reserves address space ahead (mimalloc, which
        // the docclass binary uses, reserves 1 GiB at a time) would spend
        // the whole limit on its reservation and leave none for the
        // extraction thread's stack: it reserves in small steps here.
        .env("MIMALLOC_ARENA_RESERVE", "16MiB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(_) => {
            let limits = *limits;
            return super::run_with_limit(limits.time, move || extract_capped(&bytes, &limits));
        }
    };
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err("cannot talk to the extraction process".to_string());
    };
    // The reply: header plus a text the child already checked against
    // the limit; anything longer is not our worker talking.
    let reply_cap = limits.max_bytes as u64 + 1024;
    let (sender, receiver) = mpsc::sync_channel(1);
    let reader = std::thread::Builder::new()
        .name("docclass-extract-reply".into())
        .spawn(move || {
            let mut reply = Vec::new();
            let read = stdout.take(reply_cap + 1).read_to_end(&mut reply);
            let _ = sender.send(read.map(|_| reply));
        });
    // Writing the document and draining stderr share one thread: the
    // child reads all of its input before it writes anything.
    let feeder = std::thread::Builder::new()
        .name("docclass-extract-feed".into())
        .spawn(move || {
            let _ = stdin.write_all(&bytes);
            drop(stdin);
            drop(bytes);
            let mut message = Vec::new();
            let _ = stderr.take(STDERR_BYTES).read_to_end(&mut message);
            String::from_utf8_lossy(&message).into_owned()
        });
    if reader.is_err() || feeder.is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Err("cannot start an extraction thread".to_string());
    }
    let reply = match receiver.recv_timeout(limits.time) {
        Ok(reply) => reply,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "extraction timed out after {} s",
                super::seconds(limits.time)
            ));
        }
    };
    let status = match child.wait() {
        Ok(status) => status,
        Err(e) => return Err(format!("extraction process lost: {e}")),
    };
    let stderr = feeder.ok().and_then(|h| h.join().ok()).unwrap_or_default();
    let reply = reply.map_err(|e| format!("cannot read the extraction result: {e}"))?;
    if status.success() {
        if reply.len() as u64 > reply_cap {
            return Err(format!(
                "the extracted text is over the limit of {} bytes (--max-doc-bytes)",
                limits.max_bytes
            ));
        }
        return parse_reply(reply);
    }
    Err(death_message(kind, status, &stderr, memory, limits))
}

/// Why a worker died, in terms of the file.
fn death_message(
    kind: &str,
    status: std::process::ExitStatus,
    stderr: &str,
    memory: u64,
    limits: &Limits,
) -> String {
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    if stderr.contains("memory allocation") || stderr.contains("out of memory") {
        let hint = if kind == "HTML" {
            "millions of elements?"
        } else {
            "a decompression bomb?"
        };
        return format!(
            "broken or hostile {kind}: reading it needs more than {} MiB of memory ({hint})",
            memory >> 20
        );
    }
    if stderr.contains("overflowed its stack") {
        return format!("broken or hostile {kind}: nested too deeply to read");
    }
    #[cfg(unix)]
    if signal == Some(libc::SIGXCPU) {
        return format!(
            "extraction timed out after {} s",
            super::seconds(limits.time)
        );
    }
    #[cfg(not(unix))]
    let _ = limits;
    match signal {
        Some(signal) => format!("broken {kind}: the reader crashed on it (signal {signal})"),
        None => format!("broken {kind}: the reader failed on it ({status})"),
    }
}

/// Decodes the child's reply.
fn parse_reply(reply: Vec<u8>) -> Result<Extracted, String> {
    let newline = reply
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("the extraction process gave no result")?;
    let header = String::from_utf8_lossy(&reply[..newline]).into_owned();
    let body = String::from_utf8(reply[newline + 1..].to_vec())
        .map_err(|_| "the extraction process gave a text that is not UTF-8".to_string())?;
    match header.split_once(' ') {
        Some(("ok", format)) => Ok(Extracted {
            text: body,
            format: DocumentFormat::from_name(format)
                .ok_or("the extraction process named no format")?,
        }),
        _ if header == "err" => Err(body),
        _ => Err("the extraction process gave no result".to_string()),
    }
}

/// The worker's side, for a `main` that received [`WORKER_ARG`]: `args` are
/// the arguments after it (memory limit, text size limit, CPU seconds).
/// Reads one document on stdin, writes the reply on stdout, returns the
/// exit code. Runs the extraction on a thread with a large stack, as
/// [`super::run_with_limit`] does.
pub fn serve(args: &[OsString]) -> i32 {
    let number = |i: usize| -> Option<u64> { args.get(i)?.to_str()?.parse().ok() };
    let (Some(memory), Some(max_bytes), Some(cpu_seconds)) = (number(0), number(1), number(2))
    else {
        eprintln!("docclass: {WORKER_ARG} is internal: it expects MEMORY MAX_BYTES CPU_SECONDS");
        return 2;
    };
    limit_self(memory, cpu_seconds);
    super::silence_worker_panics();
    let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
    {
        return reply(Err(format!("cannot read the document: {e}")));
    }
    let limits = Limits {
        time: Duration::from_secs(cpu_seconds),
        max_bytes,
    };
    let work = std::thread::Builder::new()
        .name(super::WORKER_THREAD_NAME.to_string())
        .stack_size(super::WORKER_STACK_BYTES)
        .spawn(move || catch_panic("document", || extract_capped(&bytes, &limits)));
    let result = match work {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| Err("the reader failed on it".to_string())),
        Err(e) => Err(format!("cannot start an extraction thread: {e}")),
    };
    reply(result)
}

fn reply(result: Result<Extracted, String>) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match &result {
        Ok(e) => write!(out, "ok {}\n{}", e.format.name(), e.text),
        Err(message) => write!(out, "err\n{message}"),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

/// Sets this process's address-space and CPU-time limits. A failure leaves
/// the process unlimited, which is how it would run without workers.
#[cfg(unix)]
fn limit_self(memory: u64, cpu_seconds: u64) {
    let set = |resource, value: u64| {
        let limit = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: value as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct we pass and nothing else.
        unsafe { libc::setrlimit(resource, &limit) };
    };
    set(libc::RLIMIT_AS, memory);
    set(libc::RLIMIT_CPU, cpu_seconds);
}

#[cfg(not(unix))]
fn limit_self(_memory: u64, _cpu_seconds: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip() {
        let ok = parse_reply(b"ok pdf\nPort seminar\n".to_vec()).expect("ok");
        assert_eq!(ok.format, DocumentFormat::Pdf);
        assert_eq!(ok.text, "Port seminar\n");
        assert_eq!(
            parse_reply(b"err\nbroken PDF: x".to_vec()),
            Err("broken PDF: x".to_string())
        );
        assert!(parse_reply(b"garbage".to_vec()).is_err());
        assert!(parse_reply(b"ok nonsense\n".to_vec()).is_err());
    }

    #[test]
    fn memory_limit_grows_with_the_size_limit() {
        assert_eq!(memory_limit(32 << 20), MIN_WORKER_MEMORY);
        assert_eq!(memory_limit(1 << 30), 16 << 30);
    }
}
