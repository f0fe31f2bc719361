//! Python virtualenvs under `target/`, holding exactly the packages a requirements file pins.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A virtualenv whose packages match a requirements file.
pub struct Virtualenv {
    dir: PathBuf,
}

impl Virtualenv {
    /// Creates `dir` and installs `requirements` (relative to `root`, every package pinned,
    /// installed with `--no-deps`), unless `dir` already holds exactly these. `minimum` is
    /// the oldest Python accepted, as `(major, minor)`. `PYTHON` picks the interpreter.
    pub fn with_requirements(
        root: &Path,
        dir: &Path,
        requirements: &str,
        minimum: (u32, u32),
    ) -> Result<Self, String> {
        let venv = Self {
            dir: dir.to_path_buf(),
        };
        let pins = fs::read_to_string(root.join(requirements))
            .map_err(|e| format!("cannot read {requirements}: {e}"))?;
        let stamp = dir.join("installed-requirements.txt");
        if fs::read_to_string(&stamp).ok().as_deref() == Some(pins.as_str()) {
            println!("virtualenv {} is up to date", dir.display());
            return Ok(venv);
        }
        println!(
            "creating the virtualenv {} from {requirements}",
            dir.display()
        );
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        let (major, minor) = minimum;
        check(
            Command::new(&python).arg("-c").arg(format!(
                "import sys; sys.exit(sys.version_info < ({major}, {minor}))"
            )),
            &format!(
                "`{python}` (Python {major}.{minor} or newer is needed; set PYTHON to choose one)"
            ),
        )?;
        check(
            Command::new(&python)
                .args(["-m", "venv", "--clear"])
                .arg(dir),
            &format!("`{python} -m venv` (on Debian: apt-get install python3-venv)"),
        )?;
        check(
            Command::new(venv.bin("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--requirement",
                ])
                .arg(root.join(requirements)),
            "pip install",
        )?;
        fs::write(&stamp, pins).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
        Ok(venv)
    }

    /// An executable of the virtualenv (`python`, or a script a package installed).
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }
}

/// Runs `command` to completion; on failure the error names `what`.
pub fn check(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
