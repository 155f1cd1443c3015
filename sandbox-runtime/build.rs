//! Writes the promise table of the target architecture as static data (`$OUT_DIR/table.rs`,
//! included by `src/table.rs`), so that no process builds it at run time. See
//! `sandbox_policy::emit`.

use std::path::PathBuf;

use sandbox_policy::{Arch, emit, table};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets the target arch");
    let arch = Arch::ALL.into_iter().find(|a| a.target_arch() == target);
    let src = match arch {
        Some(arch) => format!(
            "/// The promise table of the target architecture.\npub(crate) static TABLE: Option<&::sandbox_policy::Table> = Some(&{});\n",
            emit::static_table(&table(arch))
        ),
        None => format!(
            "/// No table: `{target}` is not an architecture the sandbox supports.\npub(crate) static TABLE: Option<&::sandbox_policy::Table> = None;\n"
        ),
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("table.rs"), src).expect("write the static table");
}
