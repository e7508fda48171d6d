//! The command line: global options and one subcommand per workflow step.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use medchain_sdk::wallet::UserRole;
use medchain_siff::RecordType;

/// The exit codes, shown at the end of `medchain --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other error (I/O, damaged wallet or ledger files, failed demo checks)
  2  invalid command line or input (bad option, malformed selection or contact file, bad hex,
     a chosen participant who is not registered)
  3  wrong password, cannot decrypt, not a participant of the case, refused by the CA
     (wrong enrollment secret), or an expired or revoked certificate
  4  not found (no wallet, unknown case or record, missing file)
  5  rejected by the ledger (validation failed; nothing was stored)
  6  ledger unreachable (peer down, timeout, ledger directory not accessible)
  7  step out of order (too early, or already done)
  8  the ledger could not answer a read (query failed; nothing was written)

Passwords: asked without echo on the terminal; for automation set MEDCHAIN_PASSWORD or
pass --password-file PATH (a file holding the password on its first line, mode 0600).
A CA enrollment secret (`init --ca`): asked without echo; for automation set
MEDCHAIN_CA_SECRET or pass --secret-file PATH.";

/// `medchain`: privacy-preserving medical records on Hyperledger Fabric.
#[derive(Debug, Parser)]
#[command(
    name = "medchain",
    version,
    about = "Privacy-preserving medical records on a blockchain: every participant of a case \
             rebuilds the case key from its own password.",
    long_about = "Privacy-preserving medical records on a blockchain (Tian, He, Ding: \"Medical \
                  Data Management on Blockchain with Privacy\"). A patient selects who may see a \
                  case; the doctor opens it; every participant answers; the doctor establishes a \
                  key that each participant rebuilds from its own password; records are stored \
                  encrypted and read or audited by the participants alone.\n\n\
                  Start with `medchain demo`, which runs the whole workflow with every role.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The wallet directory [default: ~/.medchain/wallet].
    #[arg(long, global = true, env = "MEDCHAIN_WALLET", value_name = "DIR")]
    pub wallet: Option<PathBuf>,
    /// Machine-readable JSON on stdout (one object, or one object per line
    /// for `watch` and `demo`).
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the password from the first line of this file instead of asking
    /// (for automation; MEDCHAIN_PASSWORD works too).
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Use and accept weak Argon2id parameters (wallets and new cases). For
    /// tests only: never for real patient data.
    #[arg(long, global = true)]
    pub insecure_test_kdf: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a wallet: your name, role, identity and ledger.
    #[command(after_help = "Examples:\n  \
        medchain init --name \"Dr. Carol\" --role doctor\n  \
        medchain --wallet ~/alice init --name Alice --role patient --ledger /srv/medchain-ledger\n  \
        medchain init --name Carol --role doctor --gateway network/.work/profile.json --user doctor\n  \
        medchain init --name Dave --role pharmacist --gateway network/.work/profile.json --ca org2 --enrollment-id dave")]
    Init(InitArgs),
    /// Show who this wallet is: name, role, index, public key, backend.
    #[command(after_help = "Examples:\n  \
        medchain whoami\n  \
        medchain whoami --qr --out alice.contact.json   # share your contact with the patient")]
    Whoami(WhoamiArgs),
    /// Renew this wallet's certificate with the CA that issued it, keeping
    /// the same key pair (so your index never changes); the old certificate
    /// stays in the wallet.
    #[command(after_help = "Example:\n  medchain --wallet ~/dave renew")]
    Renew,
    /// Consortium administration with an organisation's Fabric CA
    /// (register or revoke people).
    #[command(
        subcommand,
        after_help = "Examples:\n  \
        medchain admin register --gateway network/.work/profile.json --ca org2 --role pharmacist --id dave\n  \
        medchain admin revoke --gateway network/.work/profile.json --ca org2 --id dave"
    )]
    Admin(AdminCommand),
    /// Register this identity on the ledger (doctors, pharmacists, insurers,
    /// lawyers/experts).
    #[command(after_help = "Example:\n  medchain --wallet ~/carol register")]
    Register,
    /// Patient: choose who may see the case; writes the selection for the
    /// doctor (file, PNG QR code, terminal QR code).
    #[command(after_help = "Example:\n  \
        medchain select --doctor 3f2a9c0d11b2e4f5 --family bob.contact.json \\\n    \
        --pharmacist 0a1b2c3d4e5f6071 --insurer 1122334455667788 --lawyer 99aabbccddeeff00 \\\n    \
        --out selection.json --png selection.png")]
    Select(SelectArgs),
    /// Doctor: open a case from the patient's selection (txtc); prints the
    /// case id κ0.
    #[command(after_help = "Example:\n  medchain open-case --selection selection.png")]
    OpenCase(OpenCaseArgs),
    /// Patient or family: grant an established case to someone new — a
    /// lawyer or expert engaged later, a second-opinion doctor, an insurer,
    /// a pharmacist, or a new family member (txgo). Their watcher answers,
    /// yours publishes the grant tag; then they read every record.
    #[command(after_help = "Examples:\n  \
        medchain grant --case 9f8e…(64 hex) --lawyer 67f8908eceb1418e\n  \
        medchain grant --case 9f8e…(64 hex) --family carol.card.json")]
    Grant(GrantArgs),
    /// Patient or family: revoke participants of a case for the future. Opens
    /// a new key epoch among the remaining members (txeo); their watchers
    /// answer, yours publishes the epoch tag (txet, or `--publish`). Later
    /// records are sealed under the new key: the revoked get no more events
    /// and cannot read them; what they already read stays read.
    #[command(after_help = "Examples:\n  \
        medchain revoke --case 9f8e…(64 hex) --participant 1122334455667788\n  \
        medchain revoke --case 9f8e…(64 hex) --publish   # without a watcher")]
    Revoke(RevokeArgs),
    /// Answer a case opening with your secret, sealed to the doctor (txtr),
    /// or a grant of a case, sealed to its granter (txgr),
    /// or a new key epoch, sealed to its opener (txer).
    /// `medchain watch` does this automatically.
    #[command(after_help = "Example:\n  medchain respond --case 9f8e…(64 hex digits)")]
    Respond(CaseArgs),
    /// Doctor: establish the case key once every participant has answered.
    /// `medchain watch` does this automatically.
    #[command(after_help = "Example:\n  medchain establish --case 9f8e…(64 hex digits) --wait 300")]
    Establish(EstablishArgs),
    /// Run your event loop: answer case openings, establish keys, report new
    /// records. Resumes where it stopped; Ctrl-C stops it cleanly.
    #[command(after_help = "Examples:\n  \
        medchain watch\n  \
        medchain watch --idle-exit 10 --json   # for scripts: stop after 10 s without events")]
    Watch(WatchArgs),
    /// Store an encrypted record of a case: diagnosis (doctor, txd),
    /// medicines and charges (pharmacist, txm), compensation (insurer, txa).
    #[command(after_help = "Examples:\n  \
        medchain record --case 9f8e…(64 hex) --message \"Influenza; rest and fluids\"\n  \
        medchain record --case 9f8e…(64 hex) --type txm --file invoice.pdf\n  \
        medchain record --case 9f8e…(64 hex) --message \"CT chest\" --attach ct-study.dcm report.pdf")]
    Record(RecordArgs),
    /// Decrypt one record (by its κ) or every record of a case.
    #[command(after_help = "Examples:\n  \
        medchain read --record 1a2b…(64 hex)\n  \
        medchain read --case 9f8e…(64 hex)\n  \
        medchain read --record 1a2b…(64 hex) --save-attachments ./downloads")]
    Read(ReadArgs),
    /// Lawyer / medical expert (or family after the patient's death): fetch
    /// the whole case and decrypt every record.
    #[command(after_help = "Examples:\n  \
        medchain audit --case 9f8e…(64 hex digits) --json\n  \
        medchain audit --case 9f8e…(64 hex digits) --save-attachments ./case-files")]
    Audit(AuditArgs),
    /// List this wallet's cases with their status and unread records.
    #[command(after_help = "Example:\n  medchain cases")]
    Cases,
    /// Run the whole workflow with every role on a fresh embedded ledger
    /// (or a Fabric network) and check that it worked.
    #[command(after_help = "Examples:\n  \
        medchain demo\n  \
        medchain demo --dir /tmp/demo   # keep the ledger and wallets\n  \
        medchain demo --gateway network/.work/profile.json")]
    Demo(DemoArgs),
}

/// A user role as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// A patient.
    Patient,
    /// A family member or legal agent.
    Family,
    /// A doctor.
    Doctor,
    /// A pharmacist.
    Pharmacist,
    /// An insurer.
    Insurer,
    /// A lawyer or medical expert.
    #[value(name = "lawyer-expert", alias = "lawyer", alias = "expert")]
    LawyerExpert,
}

impl From<RoleArg> for UserRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Patient => Self::Patient,
            RoleArg::Family => Self::Family,
            RoleArg::Doctor => Self::Doctor,
            RoleArg::Pharmacist => Self::Pharmacist,
            RoleArg::Insurer => Self::Insurer,
            RoleArg::LawyerExpert => Self::LawyerExpert,
        }
    }
}

/// `medchain init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Your name as others see it.
    #[arg(long)]
    pub name: String,
    /// Your role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The embedded ledger directory [default: ~/.medchain/ledger]; ignored
    /// with --gateway.
    #[arg(long, env = "MEDCHAIN_LEDGER", value_name = "DIR")]
    pub ledger: Option<PathBuf>,
    /// Work on a Fabric network: its client profile (network/up.sh writes
    /// network/.work/profile.json).
    #[arg(long, value_name = "PROFILE")]
    pub gateway: Option<PathBuf>,
    /// The organisation whose gateway peer to use (default: the --user's
    /// organisation).
    #[arg(long, requires = "gateway")]
    pub org: Option<String>,
    /// A user listed in the profile's `roles` (e.g. doctor, patient).
    #[arg(long, requires = "gateway", conflicts_with_all = ["msp_dir", "cert"])]
    pub user: Option<String>,
    /// An MSP folder (signcerts/, keystore/) as cryptogen or fabric-ca-client
    /// write it.
    #[arg(long, value_name = "DIR", requires_all = ["gateway", "msp_id"], conflicts_with = "cert")]
    pub msp_dir: Option<PathBuf>,
    /// The MSP id of --msp-dir or --cert (e.g. Org1MSP).
    #[arg(long, value_name = "ID")]
    pub msp_id: Option<String>,
    /// A PEM certificate (with --key and --msp-id).
    #[arg(long, value_name = "FILE", requires_all = ["gateway", "key", "msp_id"])]
    pub cert: Option<PathBuf>,
    /// The PKCS#8 PEM private key of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Enroll with a Fabric CA: an organisation of the profile (its CA) or
    /// the CA's URL (with --ca-tls and --msp-id). The secret is asked
    /// without echo (or MEDCHAIN_CA_SECRET, or --secret-file).
    #[arg(long, value_name = "ORG|URL", requires_all = ["gateway", "enrollment_id"], conflicts_with_all = ["user", "msp_dir", "cert"])]
    pub ca: Option<String>,
    /// The enrollment id your organisation's administrator registered.
    #[arg(long, value_name = "ID", requires = "ca")]
    pub enrollment_id: Option<String>,
    /// Read the one-time enrollment secret from the first line of this file.
    #[arg(long, value_name = "PATH", requires = "ca")]
    pub secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub ca_endpoint: CaEndpointArgs,
}

/// How to reach a CA given by URL rather than by organisation.
#[derive(Debug, Clone, Args)]
pub struct CaEndpointArgs {
    /// The PEM certificate that verifies the CA's TLS certificate (with a
    /// --ca URL).
    #[arg(long, value_name = "FILE")]
    pub ca_tls: Option<PathBuf>,
    /// The CA's name on its server (with a --ca URL), if it hosts several.
    #[arg(long, value_name = "NAME")]
    pub ca_name: Option<String>,
}

/// `medchain admin`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Register a person with an organisation's CA, their role in their
    /// certificates (`medchain.role`); prints the one-time enrollment
    /// secret once, to hand to them.
    #[command(after_help = "Example:\n  \
        medchain admin register --gateway network/.work/profile.json --ca org2 --role pharmacist --id dave")]
    Register(AdminRegisterArgs),
    /// Revoke every certificate of a person at an organisation's CA.
    #[command(after_help = "Example:\n  \
        medchain admin revoke --gateway network/.work/profile.json --ca org2 --id dave")]
    Revoke(AdminTargetArgs),
}

/// The CA and registrar of `medchain admin`, and whom it is about.
#[derive(Debug, Args)]
pub struct AdminTargetArgs {
    /// The network's client profile.
    #[arg(long, value_name = "PROFILE")]
    pub gateway: PathBuf,
    /// The organisation whose CA to use, or the CA's URL (with --ca-tls).
    #[arg(long, value_name = "ORG|URL")]
    pub ca: String,
    /// The registrar's MSP folder [default: the profile's registrar of the
    /// organisation].
    #[arg(long, value_name = "DIR")]
    pub registrar_msp: Option<PathBuf>,
    /// The person's enrollment id.
    #[arg(long, value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub ca_endpoint: CaEndpointArgs,
}

/// `medchain admin register`.
#[derive(Debug, Args)]
pub struct AdminRegisterArgs {
    /// Where and whom.
    #[command(flatten)]
    pub target: AdminTargetArgs,
    /// The person's role, put into their certificates.
    #[arg(long, value_enum)]
    pub role: RoleArg,
}

/// `medchain whoami`.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print your contact card as a QR code on the terminal.
    #[arg(long)]
    pub qr: bool,
    /// Write your contact card (JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write your contact card as a PNG QR code.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
}

/// `medchain select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// The doctor: an index (16 hex digits) or a contact file.
    #[arg(long, value_name = "IND|CONTACT")]
    pub doctor: String,
    /// A family member or legal agent: a public key (130 hex digits) or a
    /// contact file. Repeatable.
    #[arg(long, value_name = "KEY|CONTACT")]
    pub family: Vec<String>,
    /// A pharmacist: an index or a contact file. Repeatable.
    #[arg(long, value_name = "IND|CONTACT")]
    pub pharmacist: Vec<String>,
    /// An insurer: an index or a contact file. Repeatable.
    #[arg(long, value_name = "IND|CONTACT")]
    pub insurer: Vec<String>,
    /// A lawyer or medical expert: an index or a contact file. Repeatable.
    #[arg(long, alias = "expert", value_name = "IND|CONTACT")]
    pub lawyer: Vec<String>,
    /// Write the selection (JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the selection as a PNG QR code.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Do not print the QR code on the terminal.
    #[arg(long)]
    pub no_qr: bool,
}

/// `medchain open-case`.
#[derive(Debug, Args)]
pub struct OpenCaseArgs {
    /// The patient's selection: the JSON file or a PNG of its QR code.
    #[arg(long, value_name = "FILE|PNG")]
    pub selection: PathBuf,
    /// Argon2id memory cost in KiB for the case [default: 19456].
    #[arg(long, value_name = "KIB")]
    pub kdf_m: Option<u32>,
    /// Argon2id passes [default: 2].
    #[arg(long, value_name = "N")]
    pub kdf_t: Option<u32>,
    /// Argon2id lanes [default: 1].
    #[arg(long, value_name = "N")]
    pub kdf_p: Option<u32>,
}

/// A case id.
#[derive(Debug, Args)]
pub struct CaseArgs {
    /// The case id κ0 (64 hex digits, as `open-case` and `cases` print it).
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
}

/// `medchain grant`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("grantee").required(true).args(["lawyer", "doctor", "pharmacist", "insurer", "family"]))]
pub struct GrantArgs {
    /// The case id κ0.
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
    /// A registered lawyer or medical expert: an index or a contact file.
    #[arg(long, alias = "expert", value_name = "IND|CONTACT")]
    pub lawyer: Option<String>,
    /// A registered doctor (a second opinion): an index or a contact file.
    #[arg(long, value_name = "IND|CONTACT")]
    pub doctor: Option<String>,
    /// A registered pharmacist: an index or a contact file.
    #[arg(long, value_name = "IND|CONTACT")]
    pub pharmacist: Option<String>,
    /// A registered insurer: an index or a contact file.
    #[arg(long, value_name = "IND|CONTACT")]
    pub insurer: Option<String>,
    /// A new family member or legal agent: a public key (130 hex digits) or
    /// a contact file.
    #[arg(long, value_name = "KEY|CONTACT")]
    pub family: Option<String>,
}

/// `medchain revoke`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("step").required(true).args(["participant", "publish"]))]
pub struct RevokeArgs {
    /// The case id κ0.
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
    /// A member to revoke: an index or a contact file (repeat for several).
    #[arg(long, value_name = "IND|CONTACT")]
    pub participant: Vec<String>,
    /// Publish the tag of the epoch you opened once every remaining member
    /// has answered (what your `medchain watch` does by itself).
    #[arg(long, conflicts_with = "participant")]
    pub publish: bool,
}

/// `medchain establish`.
#[derive(Debug, Args)]
pub struct EstablishArgs {
    /// The case id κ0.
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
    /// Wait up to SECS seconds for missing responses instead of failing.
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
}

/// `medchain watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Stop after SECS seconds without any event (for scripts and tests).
    #[arg(long, value_name = "SECS")]
    pub idle_exit: Option<u64>,
}

/// A record type as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecordTypeArg {
    /// Diagnosis and treatment (doctor).
    #[value(alias = "diagnosis")]
    Txd,
    /// Medicines and charges (pharmacist).
    #[value(alias = "medication")]
    Txm,
    /// Insurance compensation (insurer).
    #[value(alias = "compensation")]
    Txa,
}

impl From<RecordTypeArg> for RecordType {
    fn from(t: RecordTypeArg) -> Self {
        match t {
            RecordTypeArg::Txd => Self::Diagnosis,
            RecordTypeArg::Txm => Self::Medication,
            RecordTypeArg::Txa => Self::Compensation,
        }
    }
}

/// `medchain record`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("content").required(true).args(["message", "file"]))]
pub struct RecordArgs {
    /// The case id κ0.
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
    /// The record type [default: from your role: doctor txd, pharmacist txm,
    /// insurer txa].
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub record_type: Option<RecordTypeArg>,
    /// The record's text.
    #[arg(long)]
    pub message: Option<String>,
    /// A file whose bytes are the record.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Attach files of any size (imaging, scans, PDFs): each is encrypted
    /// in chunks and stored off-chain on the IPFS node (the local block
    /// directory on an embedded ledger); the record holds its CID, size and
    /// hash. Repeat or list several, at most 64.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub attach: Vec<PathBuf>,
}

/// `medchain read`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["record", "case"]))]
pub struct ReadArgs {
    /// One record's key κ (64 hex digits, as `watch` and `cases` print it).
    #[arg(long, value_name = "KAPPA")]
    pub record: Option<String>,
    /// Every record of the case κ0.
    #[arg(long = "case", value_name = "K0")]
    pub case: Option<String>,
    /// Write the record's bytes to this file (mode 0600) instead of printing
    /// them (with --record).
    #[arg(long, value_name = "FILE", requires = "record")]
    pub out: Option<PathBuf>,
    /// Fetch the attachments of the records read, verify every block and
    /// save them decrypted into this existing directory (a file that is
    /// already there is never overwritten).
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
}

/// `medchain audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The case id κ0 (64 hex digits, as `open-case` and `cases` print it).
    #[arg(long = "case", value_name = "K0")]
    pub case: String,
    /// Fetch every record's attachments, verify every block and save them
    /// decrypted into this existing directory (a file that is already
    /// there is never overwritten).
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
}

/// `medchain demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the ledger and the wallets in this (new or empty) directory
    /// [default: a temporary directory, removed at the end].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Run against a Fabric network: its client profile (network/up.sh
    /// writes network/.work/profile.json).
    #[arg(long, value_name = "PROFILE")]
    pub gateway: Option<PathBuf>,
    /// Give up when the workflow has not finished after SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_an_example() {
        for sub in Cli::command().get_subcommands() {
            let help = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("medchain "),
                "{} has no example",
                sub.get_name()
            );
        }
    }
}
