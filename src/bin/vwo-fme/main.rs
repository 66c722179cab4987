//! `vwo-fme`: evaluate and explain VWO FME decisions offline, validate settings, and replay
//! conformance cases.

mod args;
mod eval;
mod replay;

use args::Args;

const USAGE: &str = "\
vwo-fme: VWO Feature Management decisions, offline

USAGE:
  vwo-fme eval --settings FILE --feature KEY --context JSON [--explain] [--json] [--python-compat]
      Decide one flag for one user and print enabled, variation and variables;
      --explain adds every evaluation step (segments, buckets, groups, holdouts);
      --python-compat reproduces the official Python SDK's two decision bugs too.
  vwo-fme validate --settings FILE
      Check a settings file the way the official SDK does; name the first problem.
  vwo-fme replay --settings FILE --cases FILE --out FILE [--live [--proxy-url URL]]
      Replay a conformance cases file and write results in the kit's format: through
      the decision core, or with --live through the full client (threading disabled)
      against a loopback server (its own, or the one at --proxy-url). --python-compat
      turns off the decisions.md deviations (as the official Python SDK decides).
  vwo-fme mock-server --settings FILE [--port N] [--log FILE]
      Serve a settings file on 127.0.0.1 like VWO does and record every request.
  vwo-fme uuid USER_ID ACCOUNT_ID
      Print the VWO visitor UUID of a user.
  vwo-fme version
";

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&argv) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vwo-fme: {e}");
            eprintln!("run `vwo-fme help` for usage");
            2
        }
    };
    std::process::exit(code);
}

fn run(argv: &[String]) -> Result<i32, String> {
    let Some((cmd, rest)) = argv.split_first() else {
        print!("{USAGE}");
        return Ok(2);
    };
    match cmd.as_str() {
        "eval" => eval::run(&Args::parse(rest, &["explain", "json", "python-compat"])?),
        "validate" => eval::validate(&Args::parse(rest, &[])?),
        "replay" => replay::run(&Args::parse(rest, &["live", "python-compat"])?),
        "mock-server" => replay::mock_server(&Args::parse(rest, &[])?),
        "uuid" => {
            let a = Args::parse(rest, &[])?;
            match (a.positional.first(), a.positional.get(1)) {
                (Some(u), Some(acc)) => match vwo_fme::core::decide::identity::visitor_uuid(u, acc) {
                    Some(id) => {
                        println!("{id}");
                        Ok(0)
                    }
                    None => Err("user id and account id must be non-empty".into()),
                },
                _ => Err("usage: vwo-fme uuid USER_ID ACCOUNT_ID".into()),
            }
        }
        "version" | "--version" | "-V" => {
            println!("vwo-fme {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command {other:?}")),
    }
}
