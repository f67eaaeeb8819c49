//! What `migen render --env dev` prints, through the library: the shipped dev spec (without the environment's
//! overrides, which `Overrides::from_process_env` would read) rendered with the preflight check, every region's
//! template in deploy order, and the notes the CLI prints on stderr.
//!
//! ```sh
//! cargo run --example render_shipped > stack.yaml
//! ```

use migen::cfn::Format;
use migen::spec::{self, Overrides};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = spec::load_shipped("dev", &Overrides::default())?;
    let templates = migen::render::templates(&env, Format::Yaml)?;
    for template in &templates {
        for note in template
            .template
            .warnings
            .iter()
            .chain(&template.template.notes)
        {
            eprintln!("{}: {note}", template.region);
        }
    }
    let primary = templates
        .first()
        .ok_or("the environment renders no template")?;
    print!("{}", primary.template.body);
    Ok(())
}
