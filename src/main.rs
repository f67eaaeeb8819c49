use std::io::Write;

fn main() {
    let overrides = migen::spec::Overrides::from_process_env();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = migen::cli::run(
        std::env::args_os(),
        &overrides,
        &mut stdout.lock(),
        &mut stderr.lock(),
    );
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
