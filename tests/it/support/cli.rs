//! A small builder for running `mailform` on files in a fresh temporary directory:
//! `Cli::new().file("libraries/x.kdl", text).args(["validate"]).run()`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The platform file most tests use.
pub const PLATFORM: &str = r#"platform {
    aws-region "us-east-1"
    notice-period-days 14
    default-price-cap 20.00

    registrant {
        contact-type "COMPANY"
        organization "Library Market"
        first-name "Pat"
        last-name "Example"
        email "domains@library-market.example.com"
        phone "+1.5555550100"
        address-line-1 "100 Example Street"
        city "Springfield"
        country-code "US"
        zip-code "62701"
    }
}
"#;

/// The canary put into every secret position of the test inputs; it must never come out.
pub const CANARY: &str = "CANARY-7f3a-hunter2";

pub struct Cli {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Everything the run printed, for leak checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Cli {
    pub fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().expect("temp dir"),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// A directory with the platform file in `libraries/`.
    pub fn with_platform() -> Self {
        Self::new().file("libraries/_platform.kdl", PLATFORM)
    }

    pub fn file(self, path: &str, text: &str) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
        self
    }

    pub fn bytes(self, path: &str, bytes: &[u8]) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, bytes).expect("write");
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Another command line in the same directory.
    pub fn reuse(other: &Cli, args: Vec<String>) -> CliRef<'_> {
        CliRef {
            dir: other.dir.path(),
            args,
            env: &other.env,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path)).expect("read")
    }

    pub fn run(&self) -> Output {
        run_in(self.dir.path(), &self.args, &self.env)
    }
}

/// A command line borrowing another [`Cli`]'s directory.
pub struct CliRef<'a> {
    dir: &'a Path,
    args: Vec<String>,
    env: &'a [(String, String)],
}

impl CliRef<'_> {
    pub fn run(&self) -> Output {
        run_in(self.dir, &self.args, self.env)
    }

    /// Starts the command without waiting, its output discarded: for tests that kill it.
    #[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
    pub fn spawn(&self) -> std::process::Child {
        command(self.dir, &self.args, self.env)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start mailform")
    }
}

fn command(dir: &Path, args: &[String], env: &[(String, String)]) -> Command {
    let mut command = Command::new(bin());
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    command
}

fn run_in(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    {
        let out = command(dir, args, env).output().expect("run mailform");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mailform"))
}

/// The repository root, for tests over the checked-in files.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Snapshot assertions land in `snapshots/<module>/`.
#[macro_export]
macro_rules! snap {
    ($module:literal, $name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/", $module));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}
