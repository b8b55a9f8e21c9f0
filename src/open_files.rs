//! The pod's open-file limit, which bounds how many connections it can hold: raised to the
//! hard limit at start, and the connection cap (`node.max_connections`) derived from it, so
//! that a pod at its limit answers new connections 503 instead of leaving them in the listen
//! backlog while `accept` fails.

/// Raises the soft open-file limit to the hard one; returns the soft limit in force after.
pub fn raise() -> u64 {
    // SAFETY: getrlimit/setrlimit read and write the plain struct given; nothing else.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
        let soft = limit.rlim_cur as u64;
        soft
    }
}

/// The connection cap: `configured` when set, else seven eighths of `files`.
pub fn connection_cap(configured: u32, files: u64) -> usize {
    if configured > 0 {
        configured as usize
    } else {
        (files.min(u32::MAX as u64) as usize / 8 * 7).max(1)
    }
}

#[test]
fn the_cap_is_the_setting_or_seven_eighths_of_the_file_limit() {
    assert_eq!(connection_cap(100, 20_000), 100);
    assert_eq!(connection_cap(0, 20_000), 17_500);
    assert_eq!(connection_cap(0, 0), 1);
}
