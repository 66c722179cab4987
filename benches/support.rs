#![allow(dead_code)] // each bench binary uses part of the harness
//! A small benchmark harness: runs a closure in batches, reports the median time per call
//! (and the 10th/90th percentiles) over the batches. No external dependency, so every
//! layer (Rust, C, bindings) is timed the same way.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median, p10 and p90 nanoseconds per call.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub median_ns: f64,
    pub p10_ns: f64,
    pub p90_ns: f64,
}

/// Times `f` for about `budget`, in batches sized to last ~1 ms each.
pub fn time<R>(budget: Duration, mut f: impl FnMut() -> R) -> Timing {
    // Warm up and size the batch.
    let mut batch = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        if t.elapsed() >= Duration::from_micros(500) || batch >= 1 << 24 {
            break;
        }
        batch *= 2;
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || samples.len() < 15 {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
        if samples.len() >= 100_000 {
            break;
        }
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Timing {
        median_ns: pick(0.5),
        p10_ns: pick(0.1),
        p90_ns: pick(0.9),
    }
}

/// Formats nanoseconds for humans.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} us", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// CPU time of the calling thread, in nanoseconds (time the caller itself spends, whatever
/// background threads do on other cores).
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Like [`time`], but per-call CPU time of the calling thread.
pub fn time_cpu<R>(budget: Duration, batch: usize, mut f: impl FnMut() -> R) -> Timing {
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || samples.len() < 15 {
        let t = thread_cpu_ns();
        for _ in 0..batch {
            black_box(f());
        }
        samples.push((thread_cpu_ns() - t) as f64 / batch as f64);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Timing {
        median_ns: pick(0.5),
        p10_ns: pick(0.1),
        p90_ns: pick(0.9),
    }
}

/// Wall time and CPU time of the calling thread, per call, measured over the same batches.
#[derive(Debug, Clone, Copy)]
pub struct Timing2 {
    pub wall: Timing,
    pub cpu: Timing,
}

/// Like [`time`] (batches of ~0.5 ms, median over the batches), recording both the wall
/// time and the calling thread's CPU time of each batch: the CPU figure is what the caller
/// pays, whatever background threads (event workers, other processes) take from its core.
pub fn time2<R>(budget: Duration, mut f: impl FnMut() -> R) -> Timing2 {
    let mut batch = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        if t.elapsed() >= Duration::from_micros(500) || batch >= 1 << 24 {
            break;
        }
        batch *= 2;
    }
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while start.elapsed() < budget || wall.len() < 15 {
        let c = thread_cpu_ns();
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        wall.push(t.elapsed().as_nanos() as f64 / batch as f64);
        cpu.push((thread_cpu_ns() - c) as f64 / batch as f64);
        if wall.len() >= 100_000 {
            break;
        }
    }
    let summary = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        let pick = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Timing {
            median_ns: pick(0.5),
            p10_ns: pick(0.1),
            p90_ns: pick(0.9),
        }
    };
    Timing2 {
        wall: summary(wall),
        cpu: summary(cpu),
    }
}
