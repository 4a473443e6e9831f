//! What `/proc` says about a measured process: its CPU time and its memory.

use std::collections::HashMap;
use std::time::Duration;

use crate::Result;

/// A process's CPU time, all its threads together, from each `/proc/<pid>/task/<tid>/schedstat`
/// (`/proc/<pid>/schedstat` alone is the main thread's). A thread that has ended counts with its
/// last reading: tokio ends idle blocking threads, such as the SDK's DNS look-ups, after 10 s,
/// and the total must not go backwards when one does.
pub(super) struct CpuClock {
    pid: u32,
    threads: HashMap<u32, u64>,
}

impl CpuClock {
    pub(super) fn of(pid: u32) -> Self {
        Self {
            pid,
            threads: HashMap::new(),
        }
    }

    /// The CPU time so far.
    pub(super) fn read(&mut self) -> Result<Duration> {
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid))? {
            let task = task?;
            let Some(tid) = task.file_name().to_str().and_then(|tid| tid.parse().ok()) else {
                continue;
            };
            // A thread that ended between listing and reading keeps its last reading.
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            let ns = text
                .split_whitespace()
                .next()
                .and_then(|field| field.parse::<u64>().ok())
                .ok_or("unreadable schedstat")?;
            self.threads.insert(tid, ns);
        }
        Ok(Duration::from_nanos(self.threads.values().sum()))
    }
}

/// The process's memory, from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy)]
pub(super) struct Memory {
    /// The peak resident set (`VmHWM`).
    pub peak_kb: u64,
    /// Resident memory of its own making: heap, stacks, written data (`RssAnon`).
    pub anon_kb: u64,
    /// Resident pages of the executable and libraries, shared with the page cache (`RssFile`).
    pub file_kb: u64,
}

pub(super) fn memory(pid: u32) -> Result<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<u64> {
        Ok(text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))?)
    };
    Ok(Memory {
        peak_kb: field("VmHWM")?,
        anon_kb: field("RssAnon")?,
        file_kb: field("RssFile")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin() -> u64 {
        let mut spin = 0_u64;
        for i in 0..3_000_000_u64 {
            spin = std::hint::black_box(spin.wrapping_add(i));
        }
        spin
    }

    #[test]
    fn cpu_time_counts_every_thread_and_keeps_those_that_ended() {
        let mut clock = CpuClock::of(std::process::id());
        let before = clock.read().unwrap();
        let (ready, wait) = std::sync::mpsc::channel();
        let (done, finish) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let spun = spin();
            ready.send(spun).unwrap();
            finish.recv().unwrap();
        });
        let _spun = wait.recv().unwrap();
        let with_thread = clock.read().unwrap();
        assert!(with_thread > before, "{with_thread:?} after {before:?}");
        done.send(()).unwrap();
        thread.join().unwrap();
        assert!(clock.read().unwrap() >= with_thread);
    }

    #[test]
    fn memory_is_split_into_the_process_own_and_mapped_files() {
        let memory = memory(std::process::id()).unwrap();
        assert!(memory.peak_kb >= memory.anon_kb && memory.anon_kb > 0 && memory.file_kb > 0);
    }
}
