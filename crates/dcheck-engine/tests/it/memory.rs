//! The default memory limit's sources, parsed from sample `/proc` and
//! cgroup files (the figures written next to each).

use dcheck_engine::memory::{cgroup_room, meminfo_available, room};

#[test]
fn mem_available_is_read_in_kib() {
    let meminfo =
        "MemTotal:       24594272 kB\nMemFree:         1234 kB\nMemAvailable:   22607840 kB\n";
    assert_eq!(meminfo_available(meminfo), Some(22_607_840 * 1024));
    assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
}

#[test]
fn ulimit_room_is_the_soft_limit_less_what_is_used() {
    let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                  Max data size             unlimited            unlimited            bytes     \n\
                  Max address space         1073741824           unlimited            bytes     \n";
    let status = "Name:\tdcheck\nVmSize:\t  102400 kB\nVmData:\t   51200 kB\n";
    // 1 GiB - 100 MiB.
    assert_eq!(
        room(limits, "Max address space", status, "VmSize:"),
        Some((1 << 30) - 100 * (1 << 20))
    );
    // No data limit.
    assert_eq!(room(limits, "Max data size", status, "VmData:"), None);
}

#[test]
fn cgroup_limits_of_both_versions() {
    let files = |p: &str| -> Option<String> {
        match p {
            // v2: 2 GiB limit, 512 MiB used.
            "/sys/fs/cgroup/job/memory.max" => Some("2147483648\n".into()),
            "/sys/fs/cgroup/job/memory.current" => Some("536870912\n".into()),
            // v1: own cgroup not visible, the namespace root limits 1 GiB
            // with 256 MiB used.
            "/sys/fs/cgroup/memory/memory.limit_in_bytes" => Some("1073741824\n".into()),
            "/sys/fs/cgroup/memory/memory.usage_in_bytes" => Some("268435456\n".into()),
            // v2 without a limit.
            "/sys/fs/cgroup/free/memory.max" => Some("max\n".into()),
            _ => None,
        }
    };
    assert_eq!(cgroup_room("0::/job\n", &files), Some(1536 << 20));
    assert_eq!(
        cgroup_room("4:memory:/process_api/abc\n3:cpu:/\n", &files),
        Some(768 << 20)
    );
    assert_eq!(cgroup_room("0::/free\n", &files), None);
    // v1 with the "no limit" value.
    let unlimited = |p: &str| -> Option<String> {
        (p == "/sys/fs/cgroup/memory/memory.limit_in_bytes").then(|| "9223372036854771712\n".into())
    };
    assert_eq!(cgroup_room("4:memory:/\n", &unlimited), None);
}
