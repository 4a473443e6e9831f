//! What `/proc` says about a measured process: its CPU time and its memory.

use crate::Result;

/// Nanoseconds the process has spent on a CPU, all its threads together (the first field of
/// each `/proc/<pid>/task/<tid>/schedstat`). `/proc/<pid>/schedstat` alone is the main thread's:
/// on a multi-threaded runtime the HTTP connections' tasks run on worker threads, whose time it
/// would leave out.
pub(super) fn cpu_time_ns(pid: u32) -> Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread that ended between listing and reading has nothing left to count.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|field| field.parse::<u64>().ok())
            .ok_or("unreadable schedstat")?;
    }
    Ok(total)
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

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        let before = cpu_time_ns(pid).unwrap();
        let mut spin = 0_u64;
        for i in 0..2_000_000_u64 {
            spin = std::hint::black_box(spin.wrapping_add(i));
        }
        assert!(cpu_time_ns(pid).unwrap() > before, "{spin}");
        let memory = memory(pid).unwrap();
        assert!(memory.peak_kb >= memory.anon_kb && memory.anon_kb > 0 && memory.file_kb > 0);
    }
}
