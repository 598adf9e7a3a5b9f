//! `/`: a small page saying what the exporter is and how to scrape it. It
//! shows only the configuration (module names are restricted to
//! `[A-Za-z0-9_.-]`), never request input.

use crate::config::Config;

/// The index page.
pub fn index(config: &Config) -> String {
    let mut modules = String::new();
    for (name, m) in &config.modules {
        let profile = match m.profile {
            rdpdoctor_probe::Profile::Fast => "fast",
            rdpdoctor_probe::Profile::Full => "full",
        };
        modules.push_str(&format!(
            "<tr><td><code>{name}</code>{}</td><td>{profile}</td><td>{:.1} s</td><td>{:.1} s</td><td>{}</td></tr>\n",
            if *name == config.default_module { " (default)" } else { "" },
            m.timeout.as_secs_f64(),
            m.step_timeout.as_secs_f64(),
            m.port,
        ));
    }
    let allowed = if config.allow.is_empty() {
        "<strong>none</strong>: every <code>/probe</code> is refused (start with <code>--allow CIDR</code>)".to_owned()
    } else {
        format!("{} network(s)", config.allow.networks().len())
    };
    format!(
        "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rdpdoctor exporter</title></head>
<body>
<h1>rdpdoctor exporter {version}</h1>
<p>Probes RDP hosts for Prometheus, one target per scrape:
<code>/probe?target=HOST[:PORT]&amp;module=NAME</code>.
The exporter's own metrics are at <a href=\"/metrics\">/metrics</a>.</p>
<p>Allowed target networks: {allowed}. At most {max} probes run at once.</p>
<table border=\"1\" cellpadding=\"4\">
<tr><th>module</th><th>profile</th><th>timeout</th><th>step timeout</th><th>default port</th></tr>
{modules}</table>
</body></html>
",
        version = env!("CARGO_PKG_VERSION"),
        max = config.max_concurrent_probes,
    )
}
