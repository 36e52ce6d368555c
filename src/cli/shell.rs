//! `tix completions SHELL` and `tix man`: what a shell and `man` need, generated from the
//! command line's own definition so they can never disagree with it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;

use super::Ctx;
use super::examples::command;
use tix::error::Error;

/// Arguments of `tix completions`.
#[derive(Debug, Args)]
#[command(
    after_help = "Install (bash):  tix completions bash > ~/.local/share/bash-completion/completions/tix\n\
Install (zsh):   tix completions zsh > \"${fpath[1]}/_tix\"\n\
Install (fish):  tix completions fish > ~/.config/fish/completions/tix.fish"
)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish
    #[arg(value_enum)]
    shell: Shell,
}

/// Arguments of `tix man`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tix man | man -l -\n  tix man --out-dir ~/.local/share/man/man1 && man tix-order-create"
)]
pub struct ManArgs {
    /// Write one page per command (tix.1, tix-order-create.1, …) into this directory
    /// instead of printing tix.1
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Prints the completion script for a shell.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = command();
    // Into memory first: the generator panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tix", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

/// Prints the main man page, or writes every page into a directory.
pub fn man(ctx: &Ctx, args: ManArgs) -> anyhow::Result<()> {
    let cmd = command();
    match args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
        }
        Some(dir) => {
            let io = |source| Error::Io {
                action: "write man pages to",
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            clap_mangen::generate_to(cmd, &dir).map_err(io)?;
            let pages = std::fs::read_dir(&dir)
                .map_err(io)?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("tix"))
                .count();
            if !ctx.quiet {
                writeln!(
                    std::io::stdout().lock(),
                    "Wrote {pages} man pages to {}; `man -M {} tix` reads them.",
                    dir.display(),
                    dir.parent()
                        .map_or(dir.clone(), |p| p.to_path_buf())
                        .display()
                )?;
            }
        }
    }
    Ok(())
}
