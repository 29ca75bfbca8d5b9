//! Handing freed heap memory back to the OS between the phases of a command that holds a large
//! state twice (`snapshot --out`: the head is verified, dropped, then the bundle is written and
//! read back).
//!
//! glibc only trims the top of its heap on `free`: the pages of a decoded million-account
//! machine stay resident when a small allocation made after it pins the top, and the next
//! phase's peak adds to them (200.8 MiB instead of 171.7 MiB for `snapshot --out` at 1M
//! accounts). Elsewhere this is a no-op.

/// Returns the free pages of the heap to the OS (`malloc_trim(0)` on glibc).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers from
    // us and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
