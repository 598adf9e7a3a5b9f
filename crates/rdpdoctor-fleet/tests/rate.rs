//! `--rate`: hosts start no faster than the rate, also when every slot
//! frees at once (closed ports on 127.0.0.1 answer at once, so without the
//! rate the whole set would finish in milliseconds).

use rdpdoctor_fleet::Schedule;
use rdpdoctor_probe::{ProbeOptions, parse_target};
use std::time::{Duration, Instant};

#[tokio::test]
async fn hosts_start_no_faster_than_the_rate() {
    // Ports nothing listens on: each host is refused at once.
    let ports: Vec<u16> = (0..11)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        })
        .collect();
    let hosts: Vec<_> = ports
        .iter()
        .map(|p| parse_target(&format!("127.0.0.1:{p}")).unwrap())
        .collect();
    let schedule = Schedule {
        concurrency: 64,
        rate: 20.0,
        probe: ProbeOptions {
            samples: 1,
            reverse_dns: false,
            step_timeout: Duration::from_secs(2),
            ceiling: Duration::from_secs(5),
            ..Default::default()
        },
        retries: 1,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let t = Instant::now();
    let scan = rdpdoctor_fleet::scan(hosts.into_iter(), &schedule, tx);
    let collect = async {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    };
    let ((), n) = tokio::join!(scan, collect);
    assert_eq!(n, 11, "every host reported");
    // 11 starts at 20 a second: the last starts 0.5 s after the first.
    assert!(
        t.elapsed() >= Duration::from_millis(490),
        "{:?}",
        t.elapsed()
    );
}
