//! The `masthead` command: serve (the default), migrate, manage users, print the OpenAPI document.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use masthead::images::store::MediaStore;
use masthead::users::{self, NewUser, Role};
use masthead::{Application, Config, db};
use tracing_subscriber::EnvFilter;

/// jemalloc instead of glibc's malloc: glibc gives each thread that allocates an arena of its own
/// (up to eight per core) and keeps what is freed in each, and after the first large block (an
/// argon2 hash, a decoded image) is freed it raises the size under which it ever hands memory
/// back; a server's RSS then only grows. jemalloc keeps a few arenas and returns freed pages to
/// the system after a second (`JEMALLOC_SYS_WITH_MALLOC_CONF` in `.cargo/config.toml`).
#[cfg(all(unix, not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Masthead: a headless content API for newsrooms.
///
/// Settings come from the environment and an optional `.env` file; see `.env.example`. With no
/// settings at all it serves on 127.0.0.1:8080 from the SQLite file data/masthead.db.
#[derive(Parser)]
#[command(version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the API server (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage editor accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the OpenAPI 3.1 document as JSON.
    Openapi,
    /// Manage the media store.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Fill the database with published demo articles, in bulk (for benchmarks).
    Seed {
        /// How many articles.
        #[arg(long, default_value_t = 10_000)]
        articles: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password comes from MASTHEAD_PASSWORD, else from standard input.
    Create {
        /// The email the account logs in with.
        #[arg(long)]
        email: String,
        /// admin, editor or writer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name shown on bylines (default: the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Copy a media directory into a bucket (or another directory). Re-runnable: keys already
    /// there with the same size are skipped.
    Migrate {
        /// Where to: s3://BUCKET/PREFIX (with the AWS_* settings) or file://PATH.
        #[arg(long)]
        to: String,
        /// The directory to copy (default: MASTHEAD_MEDIA_DIR, else media in the data directory).
        #[arg(long)]
        from: Option<std::path::PathBuf>,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::from_stored(value).ok_or_else(|| "must be admin, editor or writer".to_owned())
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = init_tracing() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) => EnvFilter::try_new(&value)
            .map_err(|e| format!("RUST_LOG: `{value}` is not a valid filter: {e}"))?,
        Err(_) => EnvFilter::new("info"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve => {
            let config = Config::from_env().map_err(|e| e.to_string())?;
            let bind = config.bind;
            let app = Application::build(config)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(address = %bind, port = app.port(), "serving; API docs at /docs/");
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            let config = Config::from_env().map_err(|e| e.to_string())?;
            let target = db::DbTarget::parse(&config.database_url)?;
            let database = db::Db::open(&config.database_url, 1).map_err(|e| e.to_string())?;
            let _ = database;
            println!("migrations are up to date ({})", target.backend());
            Ok(())
        }
        Command::User(UserCommand::Create { email, role, name }) => {
            let config = Config::from_env().map_err(|e| e.to_string())?;
            let password = read_password()?;
            let database = db::Db::open(&config.database_url, 1).map_err(|e| e.to_string())?;
            let input = NewUser {
                email,
                display_name: name,
                role,
                password,
            };
            let row = users::create(&database, input).await.map_err(|e| match e {
                masthead::error::ApiError::Validation(errors) => errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.problem().detail.unwrap_or_else(|| other.to_string()),
            })?;
            println!("created {} {} ({})", row.role, row.email, row.id);
            Ok(())
        }
        Command::Seed { articles } => {
            let config = Config::from_env().map_err(|e| e.to_string())?;
            let database = db::Db::open(&config.database_url, 1).map_err(|e| e.to_string())?;
            if let Some(admin) = &config.bootstrap_admin {
                users::bootstrap_admin(&database, &admin.email, admin.password.expose())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            masthead::seed::run(&database, articles).map_err(|e| e.to_string())
        }
        Command::Media(MediaCommand::Migrate { to, from }) => {
            let config = Config::from_env().map_err(|e| e.to_string())?;
            let from = from.unwrap_or(config.media_dir);
            if !from.is_dir() {
                return Err(format!("{} is not a directory", from.display()));
            }
            let setting = masthead::config::parse_media_store(&to, |k| {
                std::env::var(k).ok().filter(|v| !v.trim().is_empty())
            })
            .map_err(|e| format!("--to: {e}"))?;
            let source = masthead::images::store::FsStore::new(&from);
            let destination = masthead::images::store::open(&setting)?;
            eprintln!(
                "copying {} to {}",
                source.describe(),
                destination.describe()
            );
            let done = masthead::images::migrate::run(
                &source,
                destination.as_ref(),
                &mut std::io::stderr(),
            )
            .await
            .map_err(|e| e.to_string())?;
            println!(
                "copied {}, skipped {} already there",
                done.copied, done.skipped
            );
            Ok(())
        }
        Command::Openapi => {
            let json = masthead::openapi::document()
                .to_pretty_json()
                .map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}").map_err(|e| e.to_string())
        }
    }
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("MASTHEAD_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (it will be shown as you type; or set MASTHEAD_PASSWORD): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password: set MASTHEAD_PASSWORD or pipe it on standard input".to_owned());
    }
    Ok(password)
}
