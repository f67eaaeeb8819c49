//! In-process render cost against the cost of serializing the same document: per shipped environment and
//! region, the median of building and rendering the template (spec already loaded), of writing the rendered
//! document again with migen's YAML writer, and with serde_norway. Run by `scripts/bench`.

use std::time::{Duration, Instant};

use migen::cfn::Format;
use migen::render;
use migen::spec::{self, Overrides};

const RUNS: usize = 41;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    println!(
        "{:<9} {:<15} {:>10} {:>12} {:>9} {:>14} {:>9}",
        "env", "region", "render µs", "writer µs", "ratio", "serde_norway µs", "ratio"
    );
    for (name, _) in spec::SHIPPED {
        let env = spec::load_shipped(name, &Overrides::default()).expect("a shipped spec loads");
        for region in env.regions().map(str::to_string).collect::<Vec<_>>() {
            let rendered =
                render::region_template(&env, &region, Format::Yaml).expect("it renders");
            let document: serde_json::Value =
                serde_norway::from_str(&rendered.template.body).unwrap();
            let render_time = time(|| {
                std::hint::black_box(render::region_template(&env, &region, Format::Yaml).unwrap());
            });
            let writer = time(|| {
                std::hint::black_box(migen::cfn::yaml::to_string(&document));
            });
            let norway = time(|| {
                std::hint::black_box(serde_norway::to_string(&document).unwrap());
            });
            let ratio = |d: Duration| render_time.as_secs_f64() / d.as_secs_f64();
            println!(
                "{:<9} {:<15} {:>10} {:>12} {:>8.2}x {:>14} {:>8.2}x",
                name,
                region,
                render_time.as_micros(),
                writer.as_micros(),
                ratio(writer),
                norway.as_micros(),
                ratio(norway)
            );
        }
    }
}
