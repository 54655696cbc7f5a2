//! CSV data sets: a directory of one CSV file per table (see `docs/data-format.md`).
//!
//! [`load_dir`] reads a directory into a checked [`Dataset`]; [`write_dir`] writes a data set
//! back in the canonical format so that `load_dir` reads it back identically.
//!
//! Columns are found by header name, so column order does not matter and extra columns are
//! ignored; [`LoadOptions::renames`] maps canonical names to other headers. Every problem names
//! the file, line (the header is line 1), column and value. In [`Strictness::Strict`] mode the
//! first problem is an error; in [`Strictness::Lenient`] mode the record is counted in the
//! data set's [`RejectionReport`] and loading goes on, so
//! `rows loaded + rows rejected == rows in the files` always holds.
//!
//! The transaction table is read with one reused [`csv::ByteRecord`]: numbers, dates and money
//! are parsed straight from bytes and only id fields are checked as UTF-8, so nothing is
//! allocated per line.
//!
//! ```
//! use qudao::ingest::csv::{load_dir, write_dir, LoadOptions};
//! let dir = std::env::temp_dir().join(format!("qudao-doc-csv-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let files = [
//!     ("territories.csv", "id,level,parent\nCN,country,\nZJ,province,CN\n"),
//!     ("channels.csv", "id,kind,presence,role\nweb,direct,online,main\n"),
//!     ("partners.csv", "id,model\n"),
//!     ("products.csv", "id,category,list_price\nTEA,drinks,12.50\n"),
//!     ("transactions.csv", "order,line,date,customer,partner,channel,product,territory,quantity,unit_price,amount\n\
//!                           O1,1,2025-03-01,C1,,web,TEA,ZJ,2,12.50,25.00\n"),
//! ];
//! for (name, text) in files {
//!     std::fs::write(dir.join(name), text).unwrap();
//! }
//! let data = load_dir(&dir, &LoadOptions::default()).unwrap();
//! assert_eq!(data.summary().unwrap().totals.net_revenue, 2500);
//!
//! // Written back in the canonical format, it reads back the same.
//! let out = dir.join("copy");
//! write_dir(&data, &out).unwrap();
//! let again = load_dir(&out, &LoadOptions::default()).unwrap();
//! assert_eq!(again.summary().unwrap(), data.summary().unwrap());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use csv::ByteRecord;
use rust_decimal::Decimal;

use crate::dataset::{Dataset, DatasetBuilder, TxInput};
use crate::date::{Date, DateError, MIN_YEAR, Period, Timestamp};
use crate::error::{Error, Location, Result};
use crate::intern::NONE;
use crate::master::{MasterData, MasterDocument, Origins};
use crate::model::{
    Category, Channel, ChannelKind, ChannelRole, CooperationModel, Customer, Onboarding, Partner,
    PartnerStatus, Presence, PriceEntry, Product, StatusChange, Territory, TerritoryGrant,
    TerritoryLevel,
};
use crate::money::{Currency, MoneyError, parse_minor};
use crate::ops::{
    ChannelCost, Complaint, Delivery, InventorySnapshot, Measure, Operational, Satisfaction,
    Target, TargetSubject, Touchpoint,
};
use crate::reject::{RejectReason, Rejection, RejectionReport, Sink, Strictness};
use crate::transactions::TxKind;

/// Called with `(table, bytes done, bytes total)` about every 4 MiB of a file and once at the
/// end of each table, so hosts can show progress on large loads.
pub type ProgressFn = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// How often, in bytes read, [`LoadOptions::progress`] is called within one file.
const PROGRESS_EVERY: u64 = 4 << 20;

/// Every table a CSV data set can have, in load order (master tables first, then the
/// transactions, then the operational tables).
pub const TABLES: &[&str] = &[
    "territories",
    "channels",
    "partners",
    "categories",
    "products",
    "prices",
    "customers",
    "transactions",
    "targets",
    "channel_costs",
    "inventory",
    "complaints",
    "satisfaction",
    "deliveries",
    "touchpoints",
];

/// The tables whose file must be present.
pub const REQUIRED_TABLES: &[&str] = &[
    "channels",
    "territories",
    "partners",
    "products",
    "transactions",
];

/// The key of `dataset.toml` (the currency setting) in [`CsvFiles::paths`].
pub const CONFIG_KEY: &str = "dataset.toml";

/// Options of a CSV load.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// Stop at the first bad record (the default) or set bad records aside.
    pub mode: Strictness,
    /// The currency of every amount; overrides `dataset.toml`. Default: CNY.
    pub currency: Option<Currency>,
    /// Other header names: table → canonical column → header in the file.
    pub renames: HashMap<String, HashMap<String, String>>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("mode", &self.mode)
            .field("currency", &self.currency)
            .field("renames", &self.renames)
            .field("progress", &self.progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// The files of a CSV data set: table name → file, plus `dataset.toml` under [`CONFIG_KEY`].
///
/// Hosts whose files do not follow the `<table>.csv` naming fill [`CsvFiles::paths`] by hand
/// and call [`load_files`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvFiles {
    /// Table name (one of [`TABLES`]) or [`CONFIG_KEY`] → path.
    pub paths: BTreeMap<String, PathBuf>,
}

impl CsvFiles {
    /// Pick up `<table>.csv` for every known table in `dir`, and `dataset.toml`.
    ///
    /// A missing required table file is an error naming the file.
    pub fn from_dir(dir: &Path) -> Result<CsvFiles> {
        let meta = std::fs::metadata(dir).map_err(|e| io_error(dir, e))?;
        if !meta.is_dir() {
            return Err(Error::invalid_argument(
                "dir",
                format!("{} is not a directory", dir.display()),
            ));
        }
        let mut paths = BTreeMap::new();
        for &table in TABLES {
            let p = dir.join(format!("{table}.csv"));
            if p.is_file() {
                paths.insert(table.to_owned(), p);
            } else if REQUIRED_TABLES.contains(&table) {
                return Err(Error::Io {
                    path: p.display().to_string(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("required table `{table}` is missing"),
                    ),
                });
            }
        }
        let config = dir.join(CONFIG_KEY);
        if config.is_file() {
            paths.insert(CONFIG_KEY.to_owned(), config);
        }
        Ok(CsvFiles { paths })
    }
}

/// Load the data set in a directory (see [`CsvFiles::from_dir`] and [`load_files`]).
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Dataset> {
    load_files(&CsvFiles::from_dir(dir)?, opts)
}

/// Load a data set from its files.
///
/// Master tables are read first and checked together (so a partner naming an unknown
/// territory points at its line in `partners.csv`), then the operational tables, then the
/// transactions, whose returns are finally checked against the sales.
pub fn load_files(files: &CsvFiles, opts: &LoadOptions) -> Result<Dataset> {
    check_renames(opts)?;
    for &table in REQUIRED_TABLES {
        if !files.paths.contains_key(table) {
            return Err(Error::invalid_argument(
                "files",
                format!("no file for the required table `{table}` ({table}.csv)"),
            ));
        }
    }
    let currency = match &opts.currency {
        Some(c) => c.clone(),
        None => match files.paths.get(CONFIG_KEY) {
            Some(p) => read_config(p)?,
            None => Currency::default(),
        },
    };
    let mut report = RejectionReport::default();
    let mut origins = Origins::default();
    let ld = Loader {
        files,
        opts,
        currency: &currency,
    };

    // Master tables.
    let mut doc = MasterDocument {
        currency: currency.clone(),
        ..Default::default()
    };
    doc.territories = ld.master(
        "territories",
        TERRITORY_COLS,
        &mut origins,
        &mut report,
        parse_territory,
    )?;
    doc.channels = ld.master(
        "channels",
        CHANNEL_COLS,
        &mut origins,
        &mut report,
        parse_channel,
    )?;
    doc.partners = ld.master("partners", PARTNER_COLS, &mut origins, &mut report, |r| {
        parse_partner(r, &currency)
    })?;
    doc.categories = ld.master(
        "categories",
        CATEGORY_COLS,
        &mut origins,
        &mut report,
        parse_category,
    )?;
    doc.products = ld.master("products", PRODUCT_COLS, &mut origins, &mut report, |r| {
        parse_product(r, &currency)
    })?;
    doc.prices = ld.master("prices", PRICE_COLS, &mut origins, &mut report, |r| {
        parse_price(r, &currency)
    })?;
    doc.customers = ld.master(
        "customers",
        CUSTOMER_COLS,
        &mut origins,
        &mut report,
        parse_customer,
    )?;
    let (mut master, _) = MasterData::build(doc, opts.mode, &origins, &mut report)?;

    // Operational tables (before the transactions, while the master data is ours to register
    // customers in when there is no customer table).
    let mut ops = Operational::default();
    ld.ops(
        "targets",
        TARGET_COLS,
        &mut master,
        &mut report,
        &mut ops.targets,
        parse_target,
    )?;
    ld.ops(
        "channel_costs",
        CHANNEL_COST_COLS,
        &mut master,
        &mut report,
        &mut ops.channel_costs,
        parse_channel_cost,
    )?;
    ld.ops(
        "inventory",
        INVENTORY_COLS,
        &mut master,
        &mut report,
        &mut ops.inventory,
        parse_inventory,
    )?;
    let mut complaint_ids = HashSet::new();
    ld.ops(
        "complaints",
        COMPLAINT_COLS,
        &mut master,
        &mut report,
        &mut ops.complaints,
        |r, m, _| {
            let c = parse_complaint(r, m)?;
            if !complaint_ids.insert(c.id.clone()) {
                return Err(Bad::new(
                    "id",
                    RejectReason::DuplicateId,
                    format!("duplicate complaint id {:?}", c.id),
                ));
            }
            Ok(c)
        },
    )?;
    ld.ops(
        "satisfaction",
        SATISFACTION_COLS,
        &mut master,
        &mut report,
        &mut ops.satisfaction,
        parse_satisfaction,
    )?;
    ld.ops(
        "deliveries",
        DELIVERY_COLS,
        &mut master,
        &mut report,
        &mut ops.deliveries,
        parse_delivery,
    )?;
    ld.ops(
        "touchpoints",
        TOUCHPOINT_COLS,
        &mut master,
        &mut report,
        &mut ops.touchpoints,
        parse_touchpoint,
    )?;

    // Transactions.
    let mut builder = DatasetBuilder::new(master, opts.mode);
    builder.report_mut().extend(report);
    *builder.ops_mut() = ops;
    ld.transactions(&mut builder)?;
    builder.finish()
}

fn check_renames(opts: &LoadOptions) -> Result<()> {
    for (table, cols) in &opts.renames {
        let Some(spec) = columns_of(table) else {
            return Err(Error::invalid_argument(
                "renames",
                format!("unknown table `{table}` (known: {})", TABLES.join(", ")),
            ));
        };
        if let Some(c) = cols
            .keys()
            .find(|c| !spec.iter().any(|s| s.0 == c.as_str()))
        {
            return Err(Error::invalid_argument(
                "renames",
                format!("table `{table}` has no column `{c}`"),
            ));
        }
    }
    Ok(())
}

/// `dataset.toml`: the data set's settings. Unknown keys are left to other tools.
#[derive(serde::Deserialize)]
struct Config {
    #[serde(default)]
    currency: Option<CurrencySetting>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum CurrencySetting {
    Code(String),
    Full { code: String, exponent: u8 },
}

fn read_config(path: &Path) -> Result<Currency> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let config: Config = toml::from_str(&text).map_err(|e| Error::Parse {
        format: "toml",
        message: format!("{}: {e}", path.display()),
    })?;
    match config.currency {
        None => Ok(Currency::default()),
        Some(CurrencySetting::Code(code)) => Currency::from_code(&code),
        Some(CurrencySetting::Full { code, exponent }) => Currency::new(&code, exponent),
    }
    .map_err(|e| Error::document(format!("{}: currency", path.display()), e.to_string()))
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

// ---------------------------------------------------------------------------------------
// Column specs: (canonical name, required).

type Spec = &'static [(&'static str, bool)];

const TERRITORY_COLS: Spec = &[
    ("id", true),
    ("name", false),
    ("level", true),
    ("parent", false),
];
const CHANNEL_COLS: Spec = &[
    ("id", true),
    ("name", false),
    ("kind", true),
    ("presence", true),
    ("role", true),
    ("parent", false),
];
const PARTNER_COLS: Spec = &[
    ("id", true),
    ("name", false),
    ("model", true),
    ("grade", false),
    ("parent", false),
    ("channel", false),
    ("territories", false),
    ("licence_held", false),
    ("years_in_industry", false),
    ("registered_capital", false),
    ("team_size", false),
    ("regional_market_share", false),
    ("customer_resources", false),
    ("brand_alignment", false),
    ("status", false),
    ("status_since", false),
];
const CATEGORY_COLS: Spec = &[("id", true), ("name", false), ("parent", false)];
const PRODUCT_COLS: Spec = &[
    ("id", true),
    ("name", false),
    ("category", true),
    ("list_price", true),
    ("launched", false),
];
const PRICE_COLS: Spec = &[
    ("product", true),
    ("channel", false),
    ("territory", false),
    ("retail_price", true),
    ("floor_price", true),
    ("valid_from", false),
    ("valid_to", false),
];
const CUSTOMER_COLS: Spec = &[
    ("id", true),
    ("acquisition_channel", false),
    ("territory", false),
    ("first_seen", false),
    ("member_tier", false),
];
const TX_COLS: Spec = &[
    ("order", true),
    ("line", true),
    ("date", true),
    ("customer", true),
    ("partner", false),
    ("channel", true),
    ("product", true),
    ("territory", true),
    ("kind", false),
    ("quantity", true),
    ("unit_price", true),
    ("amount", true),
    ("cost", false),
    ("original_order", false),
];
const TARGET_COLS: Spec = &[
    ("subject_kind", true),
    ("subject", true),
    ("period", true),
    ("measure", true),
    ("target", true),
];
const CHANNEL_COST_COLS: Spec = &[("channel", true), ("period", true), ("cost", true)];
const INVENTORY_COLS: Spec = &[
    ("partner", true),
    ("product", true),
    ("date", true),
    ("on_hand", true),
    ("daily_sales_rate", true),
];
const COMPLAINT_COLS: Spec = &[
    ("id", true),
    ("partner", false),
    ("channel", false),
    ("customer", false),
    ("opened", true),
    ("resolved", false),
];
const SATISFACTION_COLS: Spec = &[
    ("partner", false),
    ("channel", false),
    ("customer", false),
    ("date", true),
    ("score", true),
];
const DELIVERY_COLS: Spec = &[
    ("order", true),
    ("partner", false),
    ("channel", false),
    ("ordered", true),
    ("promised", true),
    ("delivered", false),
];
const TOUCHPOINT_COLS: Spec = &[
    ("customer", true),
    ("time", true),
    ("channel", true),
    ("cost", false),
];

fn columns_of(table: &str) -> Option<Spec> {
    Some(match table {
        "territories" => TERRITORY_COLS,
        "channels" => CHANNEL_COLS,
        "partners" => PARTNER_COLS,
        "categories" => CATEGORY_COLS,
        "products" => PRODUCT_COLS,
        "prices" => PRICE_COLS,
        "customers" => CUSTOMER_COLS,
        "transactions" => TX_COLS,
        "targets" => TARGET_COLS,
        "channel_costs" => CHANNEL_COST_COLS,
        "inventory" => INVENTORY_COLS,
        "complaints" => COMPLAINT_COLS,
        "satisfaction" => SATISFACTION_COLS,
        "deliveries" => DELIVERY_COLS,
        "touchpoints" => TOUCHPOINT_COLS,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Reading one table.

/// A table's header resolved against its column spec.
#[derive(Debug)]
struct Meta {
    table: &'static str,
    source: String,
    spec: Spec,
    /// Field index of each spec column, if the file has it.
    index: Vec<Option<usize>>,
    /// The header as found (BOM stripped, trimmed).
    headers: Vec<String>,
}

impl Meta {
    fn pos(&self, col: &str) -> Option<usize> {
        self.spec
            .iter()
            .position(|s| s.0 == col)
            .and_then(|i| self.index[i])
    }

    /// The column's name as the file spells it.
    fn header(&self, col: &str) -> String {
        self.pos(col)
            .and_then(|i| self.headers.get(i))
            .cloned()
            .unwrap_or_else(|| col.to_owned())
    }

    fn location(&self, line: u64, column: Option<&str>, value: Option<String>) -> Location {
        Location {
            source: self.source.clone(),
            line,
            column: column.map(|c| self.header(c)),
            value,
        }
    }
}

enum Next {
    Row(u64),
    Malformed { line: u64, found: usize },
    End,
}

/// A CSV file being read record by record into one reused [`ByteRecord`] (or, after
/// [`TableReader::split_plain_lines`], by [`PlainLines`]).
struct TableReader {
    meta: Meta,
    rdr: csv::Reader<File>,
    rec: ByteRecord,
    /// The plain-line splitter, while the file has no quotes; see [`PlainLines`].
    plain: Option<PlainLines>,
    /// Added to the CSV reader's line numbers once it takes over from `plain` mid-file.
    line_offset: u64,
    width: usize,
    total: u64,
    next_progress: u64,
    progress: Option<ProgressFn>,
}

impl TableReader {
    fn open(
        path: &Path,
        table: &'static str,
        spec: Spec,
        opts: &LoadOptions,
    ) -> Result<TableReader> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let total = file.metadata().map_err(|e| io_error(path, e))?.len();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(file);
        let mut rec = ByteRecord::new();
        let got = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| csv_error(&source, e))?;
        if !got {
            return Err(Error::data(
                Location {
                    source,
                    line: 1,
                    column: None,
                    value: None,
                },
                format!("empty file: no header row (table `{table}`)"),
            ));
        }
        let headers: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
                } else {
                    h
                };
                String::from_utf8_lossy(h).trim().to_owned()
            })
            .collect();
        let renames = opts.renames.get(table);
        let mut index = Vec::with_capacity(spec.len());
        for &(col, required) in spec {
            let wanted = renames.and_then(|m| m.get(col)).map_or(col, String::as_str);
            let i = headers.iter().position(|h| h == wanted);
            if i.is_none() && required {
                return Err(Error::MissingColumn {
                    source_name: source,
                    column: if wanted == col {
                        col.to_owned()
                    } else {
                        format!("{col} (header `{wanted}`)")
                    },
                    found: headers.join(", "),
                });
            }
            index.push(i);
        }
        Ok(TableReader {
            width: headers.len(),
            meta: Meta {
                table,
                source,
                spec,
                index,
                headers,
            },
            rdr,
            rec,
            plain: None,
            line_offset: 0,
            total,
            next_progress: PROGRESS_EVERY,
            progress: opts.progress.clone(),
        })
    }

    /// Read the rest of the file with [`PlainLines`] instead of the CSV state machine, until
    /// a line needs it (a quote or a bare carriage return). For the big transaction table.
    fn split_plain_lines(&mut self, path: &Path) -> Result<()> {
        let (line, byte) = match self.rdr.position() {
            p if p.record() == 1 => (p.line(), p.byte()),
            _ => return Ok(()),
        };
        let mut file = File::open(path).map_err(|e| io_error(path, e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(byte))
            .map_err(|e| io_error(path, e))?;
        self.plain = Some(PlainLines::new(file, line, byte, PLAIN_BLOCK));
        Ok(())
    }

    /// Whether the current record is known to be all ASCII.
    #[inline]
    fn ascii_record(&self) -> bool {
        self.plain.as_ref().is_some_and(|p| p.ascii)
    }

    /// The field `i` of the current record (empty past its end).
    #[inline]
    fn field(&self, i: usize) -> &[u8] {
        match &self.plain {
            Some(p) => p.field(i),
            None => self.rec.get(i).unwrap_or(b""),
        }
    }

    /// Read the next record.
    #[inline]
    fn next(&mut self) -> Result<Next> {
        let (line, byte, fields) = match &mut self.plain {
            Some(p) => match p
                .next()
                .map_err(|e| io_error(Path::new(&self.meta.source), e))?
            {
                Plain::Record => (p.line, p.record_byte, p.fields.len()),
                Plain::End => return Ok(Next::End),
                Plain::NeedsCsv => {
                    // Hand over to the CSV reader at the start of this line.
                    let (line, byte) = (p.line, p.record_byte);
                    let mut file = File::open(&self.meta.source)
                        .map_err(|e| io_error(Path::new(&self.meta.source), e))?;
                    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(byte))
                        .map_err(|e| io_error(Path::new(&self.meta.source), e))?;
                    self.rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .buffer_capacity(1 << 20)
                        .from_reader(file);
                    self.line_offset = line - 1;
                    self.plain = None;
                    return self.next();
                }
            },
            None => {
                let got = self
                    .rdr
                    .read_byte_record(&mut self.rec)
                    .map_err(|e| csv_error(&self.meta.source, e))?;
                if !got {
                    return Ok(Next::End);
                }
                let (line, byte) = self.rec.position().map_or((0, 0), |p| (p.line(), p.byte()));
                (line + self.line_offset, byte, self.rec.len())
            }
        };
        if byte >= self.next_progress {
            if let Some(p) = &self.progress {
                p(self.meta.table, byte, self.total);
            }
            self.next_progress = byte + PROGRESS_EVERY;
        }
        if fields != self.width {
            return Ok(Next::Malformed {
                line,
                found: fields,
            });
        }
        Ok(Next::Row(line))
    }

    fn malformed_message(&self, found: usize) -> String {
        format!(
            "the row has {found} fields but the header has {}",
            self.width
        )
    }

    fn done(&self) {
        if let Some(p) = &self.progress {
            p(self.meta.table, self.total, self.total);
        }
    }

    fn required(&self, col: &str) -> Result<usize> {
        self.meta.pos(col).ok_or_else(|| Error::MissingColumn {
            source_name: self.meta.source.clone(),
            column: col.to_owned(),
            found: self.meta.headers.join(", "),
        })
    }
}

/// What [`PlainLines::next`] found.
enum Plain {
    Record,
    End,
    /// The next line has a quote or a bare carriage return: the CSV reader must take it.
    NeedsCsv,
}

/// Splits lines without quotes at commas: what the CSV state machine does for such lines, at a
/// fraction of its cost (most exports quote nothing). Lines end at `\n` (a `\r` before it is
/// dropped); empty lines are skipped but counted, as the CSV reader does. The first line with
/// a quote or a bare `\r` hands the rest of the file over to the CSV reader.
struct PlainLines {
    file: File,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`; `buf[start]` is at file offset `byte`.
    start: usize,
    end: usize,
    byte: u64,
    eof: bool,
    /// Line number of the current record (1-based), and where it starts in the file.
    line: u64,
    record_byte: u64,
    /// The line after the current record.
    next_line: u64,
    /// Field bounds of the current record in `buf`.
    fields: Vec<(usize, usize)>,
    /// Whether the current record is all ASCII (so its fields need no UTF-8 check).
    ascii: bool,
}

/// Bytes read from the file at a time.
const PLAIN_BLOCK: usize = 1 << 20;

impl PlainLines {
    fn new(file: File, next_line: u64, byte: u64, block: usize) -> PlainLines {
        PlainLines {
            file,
            buf: vec![0; block.max(1)],
            start: 0,
            end: 0,
            byte,
            eof: false,
            line: 0,
            record_byte: byte,
            next_line,
            fields: Vec::new(),
            ascii: false,
        }
    }

    #[inline]
    fn field(&self, i: usize) -> &[u8] {
        match self.fields.get(i) {
            Some(&(a, b)) => &self.buf[a..b],
            None => b"",
        }
    }

    /// Move the unread bytes to the front and read more; whether any were added.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            // A line longer than the buffer.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Read the next line: one pass over its bytes, eight at a time, finds the commas, the
    /// newline and any quote or carriage return.
    fn next(&mut self) -> std::io::Result<Plain> {
        'line: loop {
            self.fields.clear();
            let s = self.start;
            self.line = self.next_line;
            self.record_byte = self.byte;
            let mut a = s;
            let mut i = s;
            let mut high = 0u64;
            let (text_end, next) = loop {
                if let Some(w) = self.buf[..self.end].get(i..).and_then(<[u8]>::first_chunk) {
                    let w = u64::from_le_bytes(*w);
                    let stop = zero_bytes(w ^ splat(b'\n'))
                        | zero_bytes(w ^ splat(b'"'))
                        | zero_bytes(w ^ splat(b'\r'));
                    if stop == 0 {
                        high |= w;
                        let mut commas = zero_bytes(w ^ splat(b','));
                        while commas != 0 {
                            let k = i + (commas.trailing_zeros() / 8) as usize;
                            self.fields.push((a, k));
                            a = k + 1;
                            commas &= commas - 1;
                        }
                        i += 8;
                        continue;
                    }
                }
                // A word with something other than commas, or the last few bytes: one byte.
                match self.buf[..self.end].get(i) {
                    None if !self.eof => {
                        self.refill()?;
                        continue 'line;
                    }
                    None if i == s => return Ok(Plain::End),
                    // The last line, without a newline.
                    None => break (i, i),
                    Some(b'\n') => break (i, i + 1),
                    Some(b',') => {
                        self.fields.push((a, i));
                        a = i + 1;
                    }
                    Some(b'\r') => match self.buf[..self.end].get(i + 1) {
                        Some(b'\n') => break (i, i + 2),
                        None if !self.eof => {
                            self.refill()?;
                            continue 'line;
                        }
                        _ => return Ok(Plain::NeedsCsv),
                    },
                    Some(b'"') => return Ok(Plain::NeedsCsv),
                    Some(&b) => high |= u64::from(b),
                }
                i += 1;
            };
            self.next_line += 1;
            self.byte += (next - s) as u64;
            self.start = next;
            if text_end > s {
                self.fields.push((a, text_end));
                self.ascii = high & splat(0x80) == 0;
                return Ok(Plain::Record);
            }
            // An empty line: skipped, as the CSV reader does.
            self.fields.clear();
        }
    }
}

/// `b` in every byte of a word.
#[inline]
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each zero byte of `x`, exactly (no borrow between bytes).
#[inline]
const fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

fn csv_error(source: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io {
            path: source.to_owned(),
            source: io,
        },
        other => Error::data(
            Location {
                source: source.to_owned(),
                line,
                column: None,
                value: None,
            },
            format!("cannot read CSV: {other:?}"),
        ),
    }
}

/// Why one value of a row is bad: the canonical column, the class and a sentence.
#[derive(Debug)]
struct Bad {
    col: &'static str,
    reason: RejectReason,
    message: String,
}

impl Bad {
    fn new(col: &'static str, reason: RejectReason, message: impl Into<String>) -> Bad {
        Bad {
            col,
            reason,
            message: message.into(),
        }
    }
}

type Cell<T> = std::result::Result<T, Bad>;

/// One record of a (non-transaction) table, with typed access by canonical column name.
struct Row<'a> {
    meta: &'a Meta,
    rec: &'a ByteRecord,
}

impl<'a> Row<'a> {
    fn raw(&self, col: &str) -> &'a [u8] {
        self.meta
            .pos(col)
            .and_then(|i| self.rec.get(i))
            .unwrap_or(b"")
    }

    /// The text of an optional cell; `None` when empty or absent.
    fn text(&self, col: &'static str) -> Cell<Option<&'a str>> {
        let raw = self.raw(col);
        if raw.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(raw)
            .map(Some)
            .map_err(|_| Bad::new(col, RejectReason::BadValue, "not valid UTF-8"))
    }

    fn need(&self, col: &'static str) -> Cell<&'a str> {
        self.text(col)?.ok_or_else(|| {
            Bad::new(
                col,
                RejectReason::MissingValue,
                format!("`{col}` is required"),
            )
        })
    }

    fn owned(&self, col: &'static str) -> Cell<Option<String>> {
        Ok(self.text(col)?.map(str::to_owned))
    }

    fn date(&self, col: &'static str) -> Cell<Option<Date>> {
        let raw = self.raw(col);
        if raw.is_empty() {
            return Ok(None);
        }
        Date::parse(raw).map(Some).map_err(|e| date_bad(col, e))
    }

    fn need_date(&self, col: &'static str) -> Cell<Date> {
        self.date(col)?.ok_or_else(|| missing(col))
    }

    fn time(&self, col: &'static str) -> Cell<Option<Timestamp>> {
        let raw = self.raw(col);
        if raw.is_empty() {
            return Ok(None);
        }
        Timestamp::parse(raw)
            .map(Some)
            .map_err(|e| date_bad(col, e))
    }

    fn need_time(&self, col: &'static str) -> Cell<Timestamp> {
        self.time(col)?.ok_or_else(|| missing(col))
    }

    fn period(&self, col: &'static str) -> Cell<Period> {
        let t = self.need(col)?;
        Period::parse(t).map_err(|e| date_bad(col, e))
    }

    fn money(&self, col: &'static str, currency: &Currency) -> Cell<Option<i64>> {
        let raw = self.raw(col);
        if raw.is_empty() {
            return Ok(None);
        }
        parse_minor(raw, currency.exponent)
            .map(Some)
            .map_err(|e| money_bad(col, e, currency))
    }

    fn need_money(&self, col: &'static str, currency: &Currency) -> Cell<i64> {
        self.money(col, currency)?.ok_or_else(|| missing(col))
    }

    /// Money as an exact decimal in major units (for the master records), checked against the
    /// currency's decimals here so the error points at the cell.
    fn money_decimal(&self, col: &'static str, currency: &Currency) -> Cell<Option<Decimal>> {
        Ok(self.money(col, currency)?.map(|m| currency.to_decimal(m)))
    }

    fn int<T: FromStr>(&self, col: &'static str) -> Cell<Option<T>> {
        let Some(t) = self.text(col)? else {
            return Ok(None);
        };
        t.trim().parse().map(Some).map_err(|_| {
            Bad::new(
                col,
                RejectReason::BadValue,
                "not a whole number (or out of range)",
            )
        })
    }

    fn need_int<T: FromStr>(&self, col: &'static str) -> Cell<T> {
        self.int(col)?.ok_or_else(|| missing(col))
    }

    fn decimal(&self, col: &'static str) -> Cell<Option<Decimal>> {
        let Some(t) = self.text(col)? else {
            return Ok(None);
        };
        Decimal::from_str(t.trim())
            .map(Some)
            .map_err(|_| Bad::new(col, RejectReason::BadValue, "not a decimal number"))
    }

    fn boolean(&self, col: &'static str) -> Cell<Option<bool>> {
        let Some(t) = self.text(col)? else {
            return Ok(None);
        };
        parse_bool(t).map(Some).ok_or_else(|| {
            Bad::new(
                col,
                RejectReason::BadValue,
                "not a boolean (true/false, yes/no, 1/0, y/n)",
            )
        })
    }

    /// A required enumeration.
    fn choice<T>(
        &self,
        col: &'static str,
        parse: fn(&str) -> Option<T>,
        expected: fn() -> String,
    ) -> Cell<T> {
        let t = self.need(col)?;
        parse(t).ok_or_else(|| {
            Bad::new(
                col,
                RejectReason::BadValue,
                format!("not one of: {}", expected()),
            )
        })
    }
}

fn missing(col: &'static str) -> Bad {
    Bad::new(
        col,
        RejectReason::MissingValue,
        format!("`{col}` is required"),
    )
}

fn date_bad(col: &'static str, e: DateError) -> Bad {
    let reason = match e {
        DateError::OutOfRange => RejectReason::DateOutOfRange,
        _ => RejectReason::BadValue,
    };
    Bad::new(col, reason, e.to_string())
}

fn money_reason(e: &MoneyError) -> RejectReason {
    match e {
        MoneyError::Empty => RejectReason::MissingValue,
        MoneyError::TooManyDecimals { .. } => RejectReason::TooManyDecimals,
        MoneyError::Overflow => RejectReason::OutOfRange,
        _ => RejectReason::BadValue,
    }
}

fn money_bad(col: &'static str, e: MoneyError, currency: &Currency) -> Bad {
    Bad::new(col, money_reason(&e), format!("{e} ({currency})"))
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" => Some(true),
        "false" | "no" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// Items of a `;`-separated list cell, trimmed, empty items skipped.
fn list(t: &str) -> impl Iterator<Item = &str> {
    t.split(';').map(str::trim).filter(|s| !s.is_empty())
}

struct Loader<'a> {
    files: &'a CsvFiles,
    opts: &'a LoadOptions,
    currency: &'a Currency,
}

impl Loader<'_> {
    fn reject(
        &self,
        report: &mut RejectionReport,
        meta: &Meta,
        line: u64,
        bad: Bad,
        rec: &ByteRecord,
    ) -> Result<()> {
        let value = meta
            .pos(bad.col)
            .and_then(|i| rec.get(i))
            .map(|v| String::from_utf8_lossy(v).into_owned());
        let rejection = Rejection {
            table: meta.table.to_owned(),
            location: meta.location(line, Some(bad.col), value),
            reason: bad.reason,
            message: bad.message,
        };
        Sink {
            mode: self.opts.mode,
            report,
        }
        .reject(rejection)
    }

    fn malformed(
        &self,
        report: &mut RejectionReport,
        reader: &TableReader,
        line: u64,
        found: usize,
    ) -> Result<()> {
        let rejection = Rejection {
            table: reader.meta.table.to_owned(),
            location: reader.meta.location(line, None, None),
            reason: RejectReason::MalformedRow,
            message: reader.malformed_message(found),
        };
        Sink {
            mode: self.opts.mode,
            report,
        }
        .reject(rejection)
    }

    /// Read the rows of a table with `parse`, rejecting bad ones; `keep` gets each good
    /// record and its line.
    fn rows(
        &self,
        table: &'static str,
        spec: Spec,
        report: &mut RejectionReport,
        mut each: impl FnMut(&Row<'_>, u64) -> Cell<()>,
    ) -> Result<Option<String>> {
        let Some(path) = self.files.paths.get(table) else {
            return Ok(None);
        };
        let mut reader = TableReader::open(path, table, spec, self.opts)?;
        loop {
            match reader.next()? {
                Next::End => break,
                Next::Malformed { line, found } => self.malformed(report, &reader, line, found)?,
                Next::Row(line) => {
                    let row = Row {
                        meta: &reader.meta,
                        rec: &reader.rec,
                    };
                    if let Err(bad) = each(&row, line) {
                        self.reject(report, &reader.meta, line, bad, &reader.rec)?;
                    }
                }
            }
        }
        reader.done();
        Ok(Some(reader.meta.source))
    }

    /// Read a master table into records, recording each kept record's line in `origins`.
    fn master<T>(
        &self,
        table: &'static str,
        spec: Spec,
        origins: &mut Origins,
        report: &mut RejectionReport,
        parse: impl Fn(&Row<'_>) -> Cell<T>,
    ) -> Result<Vec<T>> {
        let mut records = Vec::new();
        let mut lines = Vec::new();
        let source = self.rows(table, spec, report, |row, line| {
            records.push(parse(row)?);
            lines.push(line);
            Ok(())
        })?;
        if let Some(source) = source {
            origins.set(table, source, lines);
        }
        Ok(records)
    }

    /// Read an operational table, resolving references against the master data.
    fn ops<T>(
        &self,
        table: &'static str,
        spec: Spec,
        master: &mut MasterData,
        report: &mut RejectionReport,
        out: &mut Vec<T>,
        mut parse: impl FnMut(&Row<'_>, &mut MasterData, &Currency) -> Cell<T>,
    ) -> Result<()> {
        let currency = self.currency;
        self.rows(table, spec, report, |row, _| {
            out.push(parse(row, master, currency)?);
            Ok(())
        })?;
        Ok(())
    }

    /// The transaction table, the hot path: one reused record, bytes parsed in place.
    /// Read the transaction table. Two threads in a pipeline: one reads and parses the CSV
    /// ([`TxParser`]) into batches, this one resolves the ids and adds the rows in file order,
    /// so codes, rejections and their order are those of a single pass.
    fn transactions(&self, b: &mut DatasetBuilder) -> Result<()> {
        let Some(path) = self.files.paths.get("transactions") else {
            return Err(Error::invalid_argument("files", "no transactions file"));
        };
        let mut reader = TableReader::open(path, "transactions", TX_COLS, self.opts)?;
        reader.split_plain_lines(path)?;
        let mut columns = HashMap::new();
        for &(col, _) in TX_COLS {
            if reader.meta.pos(col).is_some() {
                columns.insert(col, reader.meta.header(col));
            }
        }
        b.set_source(reader.meta.source.clone(), columns);
        b.reserve(estimate_rows(path, reader.total));
        let mut parser = TxParser::new(reader, self.currency.clone())?;

        std::thread::scope(|scope| {
            let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Result<TxBatch>>(2);
            let (empty_tx, empty_rx) = std::sync::mpsc::channel::<TxBatch>();
            let producer = scope.spawn(move || {
                loop {
                    let mut batch = empty_rx.try_recv().unwrap_or_default();
                    batch.clear();
                    let more = parser.fill(&mut batch);
                    let last = !matches!(more, Ok(true));
                    if full_tx.send(more.map(|_| batch)).is_err() || last {
                        break;
                    }
                }
                parser.reader.done();
            });
            let consumed = (|| -> Result<()> {
                for batch in &full_rx {
                    let batch = batch?;
                    for row in &batch.rows {
                        match row {
                            ParsedTx::Row(r) => b.push(&r.input(&batch.text), r.source_line)?,
                            ParsedTx::Bad(bad) => b.reject(
                                "transactions",
                                bad.line,
                                bad.column,
                                bad.value.as_deref(),
                                bad.reason,
                                bad.message.clone(),
                            )?,
                        }
                    }
                    // The parser may be done already; then the batch is simply dropped.
                    let _ = empty_tx.send(batch);
                }
                Ok(())
            })();
            // On an error here, hang up so the parser stops at its next batch.
            drop(full_rx);
            if producer.join().is_err() {
                return Err(Error::invalid_argument(
                    "transactions",
                    "the CSV parser thread panicked",
                ));
            }
            consumed
        })
    }
}

/// Rows a parsed batch holds: enough to keep both threads busy, small enough to stay in cache.
const TX_BATCH_ROWS: usize = 16 * 1024;

/// A batch of parsed transaction rows, their ids back to back in `text`.
#[derive(Default)]
struct TxBatch {
    text: String,
    rows: Vec<ParsedTx>,
}

impl TxBatch {
    fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
    }
}

/// One row of the transaction table: parsed, or why it is rejected.
enum ParsedTx {
    Row(TxFields),
    Bad(Box<BadRow>),
}

/// A rejected row (or cell) as [`DatasetBuilder::reject`] takes it.
struct BadRow {
    line: u64,
    column: Option<&'static str>,
    value: Option<String>,
    reason: RejectReason,
    message: String,
}

/// Where an id is in the batch text.
#[derive(Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// An absent optional id.
    const NONE: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    fn get(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    fn opt(self, text: &str) -> Option<&str> {
        (self.start != u32::MAX).then(|| self.get(text))
    }
}

/// The fields of one parsed transaction row.
struct TxFields {
    source_line: u64,
    order: Span,
    customer: Span,
    partner: Span,
    channel: Span,
    product: Span,
    territory: Span,
    original_order: Span,
    order_line: u32,
    date: Date,
    kind: TxKind,
    quantity: i64,
    unit_price: i64,
    amount: i64,
    cost: Option<i64>,
}

impl TxFields {
    fn input<'t>(&self, text: &'t str) -> TxInput<'t> {
        TxInput {
            order: self.order.get(text),
            line: self.order_line,
            date: self.date,
            customer: self.customer.get(text),
            partner: self.partner.opt(text),
            channel: self.channel.get(text),
            product: self.product.get(text),
            territory: self.territory.get(text),
            kind: self.kind,
            quantity: self.quantity,
            unit_price: self.unit_price,
            amount: self.amount,
            cost: self.cost,
            original_order: self.original_order.opt(text),
        }
    }
}

/// Reads the transaction table and parses its cells: numbers, dates, money, kinds and the
/// UTF-8 of ids. Ids are resolved by the consumer.
struct TxParser {
    reader: TableReader,
    currency: Currency,
    i_order: usize,
    i_line: usize,
    i_date: usize,
    i_customer: usize,
    i_channel: usize,
    i_product: usize,
    i_territory: usize,
    i_quantity: usize,
    i_unit_price: usize,
    i_amount: usize,
    i_partner: Option<usize>,
    i_kind: Option<usize>,
    i_cost: Option<usize>,
    i_original: Option<usize>,
}

impl TxParser {
    fn new(reader: TableReader, currency: Currency) -> Result<TxParser> {
        Ok(TxParser {
            i_order: reader.required("order")?,
            i_line: reader.required("line")?,
            i_date: reader.required("date")?,
            i_customer: reader.required("customer")?,
            i_channel: reader.required("channel")?,
            i_product: reader.required("product")?,
            i_territory: reader.required("territory")?,
            i_quantity: reader.required("quantity")?,
            i_unit_price: reader.required("unit_price")?,
            i_amount: reader.required("amount")?,
            i_partner: reader.meta.pos("partner"),
            i_kind: reader.meta.pos("kind"),
            i_cost: reader.meta.pos("cost"),
            i_original: reader.meta.pos("original_order"),
            reader,
            currency,
        })
    }

    /// Parse up to [`TX_BATCH_ROWS`] rows into `batch`; whether the file has more.
    fn fill(&mut self, batch: &mut TxBatch) -> Result<bool> {
        // Ids are collected as bytes, each checked as UTF-8 (or its line known ASCII), and
        // the batch's text made a `String` once at the end.
        let mut text = std::mem::take(&mut batch.text).into_bytes();
        text.clear();
        let more = self.fill_rows(&mut batch.rows, &mut text);
        batch.text = String::from_utf8(text).map_err(|_| {
            Error::invalid_argument("transactions", "internal: an id passed as UTF-8 is not")
        })?;
        more
    }

    fn fill_rows(&mut self, rows: &mut Vec<ParsedTx>, text: &mut Vec<u8>) -> Result<bool> {
        while rows.len() < TX_BATCH_ROWS {
            let row = match self.reader.next()? {
                Next::End => return Ok(false),
                Next::Malformed { line, found } => ParsedTx::Bad(Box::new(BadRow {
                    line,
                    column: None,
                    value: None,
                    reason: RejectReason::MalformedRow,
                    message: self.reader.malformed_message(found),
                })),
                Next::Row(line) => {
                    let mark = text.len();
                    match self.parse(line, text) {
                        Ok(fields) => ParsedTx::Row(fields),
                        Err(bad) => {
                            text.truncate(mark);
                            ParsedTx::Bad(bad)
                        }
                    }
                }
            };
            rows.push(row);
        }
        Ok(true)
    }

    /// Parse the current record (file line `line`), copying its ids into `text`.
    fn parse(&self, line: u64, text: &mut Vec<u8>) -> std::result::Result<TxFields, Box<BadRow>> {
        let reader = &self.reader;
        let f = |i: usize| reader.field(i);
        let ascii = reader.ascii_record();
        let exp = self.currency.exponent;
        let currency = &self.currency;
        let bad = |col: &'static str, raw: &[u8], reason: RejectReason, message: String| {
            Box::new(BadRow {
                line,
                column: Some(col),
                value: Some(String::from_utf8_lossy(raw).into_owned()),
                reason,
                message,
            })
        };
        let mut id = |col: &'static str, raw: &[u8], required: bool| {
            if raw.is_empty() {
                return if required {
                    Err(bad(
                        col,
                        raw,
                        RejectReason::MissingValue,
                        format!("`{col}` is required"),
                    ))
                } else {
                    Ok(Span::NONE)
                };
            }
            if !ascii && std::str::from_utf8(raw).is_err() {
                return Err(bad(
                    col,
                    raw,
                    RejectReason::BadValue,
                    "not valid UTF-8".to_owned(),
                ));
            }
            let start = text.len();
            text.extend_from_slice(raw);
            match (u32::try_from(start), u32::try_from(text.len())) {
                (Ok(start), Ok(end)) => Ok(Span { start, end }),
                _ => Err(bad(
                    col,
                    raw,
                    RejectReason::BadValue,
                    "id too long".to_owned(),
                )),
            }
        };
        let money = |col: &'static str, raw: &[u8]| {
            parse_minor(raw, exp)
                .map_err(|e| bad(col, raw, money_reason(&e), format!("{e} ({currency})")))
        };
        // Cells in the order the single-pass reader checked them, so the reported cell of a
        // row with several problems is unchanged.
        let order = id("order", f(self.i_order), true)?;
        let raw = f(self.i_line);
        let order_line = match parse_int(raw) {
            Ok(v) => u32::try_from(v).map_err(|_| {
                bad(
                    "line",
                    raw,
                    RejectReason::OutOfRange,
                    "line number out of range".to_owned(),
                )
            })?,
            Err(r) => return Err(bad("line", raw, r, int_message(r).to_owned())),
        };
        let raw = f(self.i_date);
        let date = Date::parse(raw).map_err(|e| {
            let b = date_bad("date", e);
            bad("date", raw, b.reason, b.message)
        })?;
        let customer = id("customer", f(self.i_customer), true)?;
        let partner = match self.i_partner {
            Some(i) => id("partner", f(i), false)?,
            None => Span::NONE,
        };
        let channel = id("channel", f(self.i_channel), true)?;
        let product = id("product", f(self.i_product), true)?;
        let territory = id("territory", f(self.i_territory), true)?;
        let raw = f(self.i_quantity);
        let quantity =
            parse_int(raw).map_err(|r| bad("quantity", raw, r, int_message(r).to_owned()))?;
        let unit_price = money("unit_price", f(self.i_unit_price))?;
        let amount = money("amount", f(self.i_amount))?;
        let cost = match self.i_cost {
            Some(i) if !f(i).is_empty() => Some(money("cost", f(i))?),
            _ => None,
        };
        let original_order = match self.i_original {
            Some(i) => id("original_order", f(i), false)?,
            None => Span::NONE,
        };
        let kind = match self.i_kind.map(f) {
            Some(raw) if !raw.is_empty() => match raw {
                b"sale" => TxKind::Sale,
                b"return" => TxKind::Return,
                _ => std::str::from_utf8(raw)
                    .ok()
                    .and_then(TxKind::parse)
                    .ok_or_else(|| {
                        bad(
                            "kind",
                            raw,
                            RejectReason::BadValue,
                            "not one of: sale, return".to_owned(),
                        )
                    })?,
            },
            _ if quantity < 0 => TxKind::Return,
            _ => TxKind::Sale,
        };
        Ok(TxFields {
            source_line: line,
            order,
            customer,
            partner,
            channel,
            product,
            territory,
            original_order,
            order_line,
            date,
            kind,
            quantity,
            unit_price,
            amount,
            cost,
        })
    }
}

/// Parse a whole number from bytes (surrounding spaces and a sign allowed).
#[inline]
fn parse_int(raw: &[u8]) -> std::result::Result<i64, RejectReason> {
    let t = raw.trim_ascii();
    let (neg, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() {
        return Err(if t.is_empty() {
            RejectReason::MissingValue
        } else {
            RejectReason::BadValue
        });
    }
    let mut acc: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(RejectReason::BadValue);
        }
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(i64::from(c - b'0')))
            .ok_or(RejectReason::OutOfRange)?;
    }
    Ok(if neg { -acc } else { acc })
}

fn int_message(r: RejectReason) -> &'static str {
    match r {
        RejectReason::MissingValue => "a whole number is required",
        RejectReason::OutOfRange => "number out of range",
        _ => "not a whole number",
    }
}

/// Estimate the number of rows of a file from its size and the line length in its first
/// MiB, with a little headroom, so the columns are allocated once.
fn estimate_rows(path: &Path, size: u64) -> usize {
    let mut sample = vec![0u8; 1 << 20];
    let Ok(mut f) = File::open(path) else {
        return 0;
    };
    let mut n = 0;
    while n < sample.len() {
        match f.read(&mut sample[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let lines = sample[..n].iter().filter(|&&c| c == b'\n').count() as u64;
    if lines == 0 || n == 0 {
        return 16;
    }
    if (n as u64) >= size {
        return lines as usize;
    }
    let est = u128::from(size) * u128::from(lines) / (n as u128);
    usize::try_from(est + est / 50 + 16).unwrap_or(usize::MAX / 2)
}

// ---------------------------------------------------------------------------------------
// Record parsers.

fn parse_territory(r: &Row<'_>) -> Cell<Territory> {
    Ok(Territory {
        id: r.need("id")?.to_owned(),
        name: r.text("name")?.unwrap_or("").to_owned(),
        level: r.choice("level", TerritoryLevel::parse, TerritoryLevel::expected)?,
        parent: r.owned("parent")?,
    })
}

fn parse_channel(r: &Row<'_>) -> Cell<Channel> {
    Ok(Channel {
        id: r.need("id")?.to_owned(),
        name: r.text("name")?.unwrap_or("").to_owned(),
        kind: r.choice("kind", ChannelKind::parse, ChannelKind::expected)?,
        presence: r.choice("presence", Presence::parse, Presence::expected)?,
        role: r.choice("role", ChannelRole::parse, ChannelRole::expected)?,
        parent: r.owned("parent")?,
    })
}

fn parse_partner(r: &Row<'_>, currency: &Currency) -> Cell<Partner> {
    let territories = match r.text("territories")? {
        None => Vec::new(),
        Some(t) => list(t)
            .map(|g| match g.strip_suffix('!') {
                Some(id) => TerritoryGrant {
                    territory: id.to_owned(),
                    exclusive: true,
                },
                None => TerritoryGrant {
                    territory: g.to_owned(),
                    exclusive: false,
                },
            })
            .collect(),
    };
    let brand_alignment = match r.text("brand_alignment")? {
        None => Vec::new(),
        Some(t) => list(t)
            .map(|a| a.parse::<u8>())
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| {
                Bad::new(
                    "brand_alignment",
                    RejectReason::BadValue,
                    "a list of answers 1–5 separated by `;`",
                )
            })?,
    };
    Ok(Partner {
        id: r.need("id")?.to_owned(),
        name: r.text("name")?.unwrap_or("").to_owned(),
        model: r.choice("model", CooperationModel::parse, CooperationModel::expected)?,
        grade: r.text("grade")?.unwrap_or("").to_owned(),
        parent: r.owned("parent")?,
        channel: r.owned("channel")?,
        territories,
        onboarding: Onboarding {
            licence_held: r.boolean("licence_held")?.unwrap_or(false),
            years_in_industry: r.int("years_in_industry")?,
            registered_capital: r.money_decimal("registered_capital", currency)?,
            team_size: r.int("team_size")?,
            regional_market_share: r.decimal("regional_market_share")?,
            customer_resources: r.int("customer_resources")?,
            brand_alignment,
        },
        status: parse_status(r)?,
    })
}

/// `active` (since `status_since`, or since always) or `prospect@2022-11-01;active@2023-01-01`.
fn parse_status(r: &Row<'_>) -> Cell<Vec<StatusChange>> {
    let since = r.date("status_since")?;
    let Some(t) = r.text("status")? else {
        if since.is_some() {
            return Err(Bad::new(
                "status_since",
                RejectReason::BadValue,
                "a status date without a status",
            ));
        }
        return Ok(Vec::new());
    };
    let bad_status = || {
        Bad::new(
            "status",
            RejectReason::BadValue,
            format!(
                "not a status ({}) or a history `status@YYYY-MM-DD;…`",
                PartnerStatus::expected()
            ),
        )
    };
    let items: Vec<&str> = list(t).collect();
    if let [single] = items.as_slice()
        && !single.contains('@')
    {
        let status = PartnerStatus::parse(single).ok_or_else(bad_status)?;
        // A bare status with no date has held for as long as the data goes back.
        let since = match since {
            Some(d) => d,
            None => Date::from_ymd(MIN_YEAR, 1, 1).map_err(|e| date_bad("status_since", e))?,
        };
        return Ok(vec![StatusChange { status, since }]);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let (s, d) = item.split_once('@').ok_or_else(bad_status)?;
        let status = PartnerStatus::parse(s).ok_or_else(bad_status)?;
        let since = Date::parse(d.as_bytes()).map_err(|e| date_bad("status", e))?;
        out.push(StatusChange { status, since });
    }
    Ok(out)
}

fn parse_category(r: &Row<'_>) -> Cell<Category> {
    Ok(Category {
        id: r.need("id")?.to_owned(),
        name: r.text("name")?.unwrap_or("").to_owned(),
        parent: r.owned("parent")?,
    })
}

fn parse_product(r: &Row<'_>, currency: &Currency) -> Cell<Product> {
    Ok(Product {
        id: r.need("id")?.to_owned(),
        name: r.text("name")?.unwrap_or("").to_owned(),
        category: r.need("category")?.to_owned(),
        list_price: r
            .money_decimal("list_price", currency)?
            .ok_or_else(|| missing("list_price"))?,
        launched: r.date("launched")?,
    })
}

fn parse_price(r: &Row<'_>, currency: &Currency) -> Cell<PriceEntry> {
    Ok(PriceEntry {
        product: r.need("product")?.to_owned(),
        channel: r.owned("channel")?,
        territory: r.owned("territory")?,
        retail_price: r
            .money_decimal("retail_price", currency)?
            .ok_or_else(|| missing("retail_price"))?,
        floor_price: r
            .money_decimal("floor_price", currency)?
            .ok_or_else(|| missing("floor_price"))?,
        valid_from: r.date("valid_from")?,
        valid_to: r.date("valid_to")?,
    })
}

fn parse_customer(r: &Row<'_>) -> Cell<Customer> {
    Ok(Customer {
        id: r.need("id")?.to_owned(),
        acquisition_channel: r.owned("acquisition_channel")?,
        territory: r.owned("territory")?,
        first_seen: r.date("first_seen")?,
        member_tier: r.owned("member_tier")?,
    })
}

fn unknown(col: &'static str, what: &str, id: &str) -> Bad {
    Bad::new(
        col,
        RejectReason::UnknownReference,
        format!("unknown {what} {id:?}"),
    )
}

fn partner_ref(r: &Row<'_>, m: &MasterData, col: &'static str) -> Cell<u32> {
    match r.text(col)? {
        None => Ok(NONE),
        Some(id) => m
            .partners
            .code(id)
            .ok_or_else(|| unknown(col, "partner", id)),
    }
}

fn channel_ref(r: &Row<'_>, m: &MasterData, col: &'static str) -> Cell<u32> {
    match r.text(col)? {
        None => Ok(NONE),
        Some(id) => m
            .channels
            .code(id)
            .ok_or_else(|| unknown(col, "channel", id)),
    }
}

/// A customer reference; when there is no customer table, new customers are registered.
fn customer_ref(r: &Row<'_>, m: &mut MasterData, col: &'static str) -> Cell<u32> {
    match r.text(col)? {
        None => Ok(NONE),
        Some(id) => m
            .customers_mut()
            .code_or_register(id)
            .ok_or_else(|| unknown(col, "customer", id)),
    }
}

fn required_ref(code: u32, col: &'static str) -> Cell<u32> {
    if code == NONE {
        Err(missing(col))
    } else {
        Ok(code)
    }
}

fn parse_target(r: &Row<'_>, m: &mut MasterData, currency: &Currency) -> Cell<Target> {
    let kind = r.need("subject_kind")?;
    let subject_kind = match kind.trim().to_ascii_lowercase().as_str() {
        "partner" => TargetSubject::Partner,
        "channel" => TargetSubject::Channel,
        _ => {
            return Err(Bad::new(
                "subject_kind",
                RejectReason::BadValue,
                "not one of: partner, channel",
            ));
        }
    };
    let subject = match subject_kind {
        TargetSubject::Partner => required_ref(partner_ref(r, m, "subject")?, "subject")?,
        TargetSubject::Channel => required_ref(channel_ref(r, m, "subject")?, "subject")?,
    };
    let period = r.period("period")?;
    let measure = r.choice("measure", Measure::parse, || {
        "revenue, units, orders".to_owned()
    })?;
    let value = match measure {
        Measure::Revenue => r.need_money("target", currency)?,
        Measure::Units | Measure::Orders => r.need_int("target")?,
    };
    Ok(Target {
        subject_kind,
        subject,
        period,
        measure,
        value,
    })
}

fn parse_channel_cost(r: &Row<'_>, m: &mut MasterData, currency: &Currency) -> Cell<ChannelCost> {
    Ok(ChannelCost {
        channel: required_ref(channel_ref(r, m, "channel")?, "channel")?,
        period: r.period("period")?,
        cost: r.need_money("cost", currency)?,
    })
}

fn parse_inventory(r: &Row<'_>, m: &mut MasterData, _: &Currency) -> Cell<InventorySnapshot> {
    let partner = required_ref(partner_ref(r, m, "partner")?, "partner")?;
    let pid = r.need("product")?;
    let product = m
        .products
        .code(pid)
        .ok_or_else(|| unknown("product", "product", pid))?;
    Ok(InventorySnapshot {
        partner,
        product,
        date: r.need_date("date")?,
        on_hand: r.need_int("on_hand")?,
        daily_sales_rate: r
            .decimal("daily_sales_rate")?
            .ok_or_else(|| missing("daily_sales_rate"))?,
    })
}

fn parse_complaint(r: &Row<'_>, m: &mut MasterData) -> Cell<Complaint> {
    let opened = r.need_time("opened")?;
    let resolved = r.time("resolved")?;
    if resolved.is_some_and(|t| t < opened) {
        return Err(Bad::new(
            "resolved",
            RejectReason::OutOfRange,
            "resolved before it was opened",
        ));
    }
    Ok(Complaint {
        id: r.need("id")?.to_owned(),
        partner: partner_ref(r, m, "partner")?,
        channel: channel_ref(r, m, "channel")?,
        customer: customer_ref(r, m, "customer")?,
        opened,
        resolved,
    })
}

fn parse_satisfaction(r: &Row<'_>, m: &mut MasterData, _: &Currency) -> Cell<Satisfaction> {
    let score: u8 = r.need_int("score")?;
    if !(1..=5).contains(&score) {
        return Err(Bad::new(
            "score",
            RejectReason::OutOfRange,
            "a score is on a 1–5 scale",
        ));
    }
    Ok(Satisfaction {
        partner: partner_ref(r, m, "partner")?,
        channel: channel_ref(r, m, "channel")?,
        customer: customer_ref(r, m, "customer")?,
        date: r.need_date("date")?,
        score,
    })
}

fn parse_delivery(r: &Row<'_>, m: &mut MasterData, _: &Currency) -> Cell<Delivery> {
    Ok(Delivery {
        order: r.need("order")?.to_owned(),
        partner: partner_ref(r, m, "partner")?,
        channel: channel_ref(r, m, "channel")?,
        ordered: r.need_date("ordered")?,
        promised: r.need_date("promised")?,
        delivered: r.date("delivered")?,
    })
}

fn parse_touchpoint(r: &Row<'_>, m: &mut MasterData, currency: &Currency) -> Cell<Touchpoint> {
    let time = r.need_time("time")?;
    let channel = required_ref(channel_ref(r, m, "channel")?, "channel")?;
    let cost = r.money("cost", currency)?.unwrap_or(0);
    Ok(Touchpoint {
        customer: required_ref(customer_ref(r, m, "customer")?, "customer")?,
        time,
        channel,
        cost,
    })
}

// ---------------------------------------------------------------------------------------
// Writing.

/// Write every table of a data set (master, customers, transactions, operational tables) and
/// `dataset.toml` into `dir`, in the canonical format, creating the directory if needed.
///
/// Empty cells stand for "not given"; money is written with exactly the currency's decimals,
/// so [`load_dir`] reads the files back into the same data set. Rejected records of the load
/// that made `data` are not part of it and are not written.
pub fn write_dir(data: &Dataset, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let m = &data.master;
    let cur = &m.currency;
    let config = dir.join(CONFIG_KEY);
    std::fs::write(
        &config,
        format!(
            "# qudao data set settings\ncurrency = {{ code = \"{}\", exponent = {} }}\n",
            cur.code, cur.exponent
        ),
    )
    .map_err(|e| io_error(&config, e))?;
    let doc = m.to_document();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let opt_date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let dec_money = |v: Decimal| {
        cur.from_decimal(v)
            .map_or_else(|_| v.to_string(), |m| cur.format(m))
    };
    let partner_id = |c: u32| {
        if c == NONE {
            String::new()
        } else {
            m.partners.id(c).to_owned()
        }
    };
    let channel_id = |c: u32| {
        if c == NONE {
            String::new()
        } else {
            m.channels.id(c).to_owned()
        }
    };
    let customer_id = |c: u32| {
        if c == NONE {
            String::new()
        } else {
            m.customers.id(c).to_owned()
        }
    };

    write_table(
        dir,
        "territories",
        TERRITORY_COLS,
        doc.territories.iter().map(|t| {
            vec![
                t.id.clone(),
                t.name.clone(),
                t.level.to_string(),
                opt(&t.parent),
            ]
        }),
    )?;
    write_table(
        dir,
        "channels",
        CHANNEL_COLS,
        doc.channels.iter().map(|c| {
            vec![
                c.id.clone(),
                c.name.clone(),
                c.kind.to_string(),
                c.presence.to_string(),
                c.role.to_string(),
                opt(&c.parent),
            ]
        }),
    )?;
    write_table(
        dir,
        "partners",
        PARTNER_COLS,
        doc.partners.iter().map(|p| {
            let o = &p.onboarding;
            let num = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
            vec![
                p.id.clone(),
                p.name.clone(),
                p.model.to_string(),
                p.grade.clone(),
                opt(&p.parent),
                opt(&p.channel),
                p.territories
                    .iter()
                    .map(|g| format!("{}{}", g.territory, if g.exclusive { "!" } else { "" }))
                    .collect::<Vec<_>>()
                    .join(";"),
                o.licence_held.to_string(),
                num(o.years_in_industry),
                o.registered_capital.map(dec_money).unwrap_or_default(),
                num(o.team_size),
                o.regional_market_share
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                num(o.customer_resources),
                o.brand_alignment
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
                p.status
                    .iter()
                    .map(|s| format!("{}@{}", s.status, s.since))
                    .collect::<Vec<_>>()
                    .join(";"),
                String::new(),
            ]
        }),
    )?;
    write_table(
        dir,
        "categories",
        CATEGORY_COLS,
        doc.categories
            .iter()
            .map(|c| vec![c.id.clone(), c.name.clone(), opt(&c.parent)]),
    )?;
    write_table(
        dir,
        "products",
        PRODUCT_COLS,
        doc.products.iter().map(|p| {
            vec![
                p.id.clone(),
                p.name.clone(),
                p.category.clone(),
                dec_money(p.list_price),
                opt_date(p.launched),
            ]
        }),
    )?;
    write_table(
        dir,
        "prices",
        PRICE_COLS,
        doc.prices.iter().map(|p| {
            vec![
                p.product.clone(),
                opt(&p.channel),
                opt(&p.territory),
                dec_money(p.retail_price),
                dec_money(p.floor_price),
                opt_date(p.valid_from),
                opt_date(p.valid_to),
            ]
        }),
    )?;
    write_table(
        dir,
        "customers",
        CUSTOMER_COLS,
        doc.customers.iter().map(|c| {
            vec![
                c.id.clone(),
                opt(&c.acquisition_channel),
                opt(&c.territory),
                opt_date(c.first_seen),
                opt(&c.member_tier),
            ]
        }),
    )?;

    write_transactions(data, dir)?;

    let ops = &data.ops;
    write_table(
        dir,
        "targets",
        TARGET_COLS,
        ops.targets.iter().map(|t| {
            let (kind, subject) = match t.subject_kind {
                TargetSubject::Partner => ("partner", partner_id(t.subject)),
                TargetSubject::Channel => ("channel", channel_id(t.subject)),
            };
            let (measure, value) = match t.measure {
                Measure::Revenue => ("revenue", cur.format(t.value)),
                Measure::Units => ("units", t.value.to_string()),
                Measure::Orders => ("orders", t.value.to_string()),
            };
            vec![
                kind.to_owned(),
                subject,
                t.period.to_string(),
                measure.to_owned(),
                value,
            ]
        }),
    )?;
    write_table(
        dir,
        "channel_costs",
        CHANNEL_COST_COLS,
        ops.channel_costs.iter().map(|c| {
            vec![
                channel_id(c.channel),
                c.period.to_string(),
                cur.format(c.cost),
            ]
        }),
    )?;
    write_table(
        dir,
        "inventory",
        INVENTORY_COLS,
        ops.inventory.iter().map(|s| {
            vec![
                partner_id(s.partner),
                m.products.id(s.product).to_owned(),
                s.date.to_string(),
                s.on_hand.to_string(),
                s.daily_sales_rate.to_string(),
            ]
        }),
    )?;
    write_table(
        dir,
        "complaints",
        COMPLAINT_COLS,
        ops.complaints.iter().map(|c| {
            vec![
                c.id.clone(),
                partner_id(c.partner),
                channel_id(c.channel),
                customer_id(c.customer),
                c.opened.to_string(),
                c.resolved.map(|t| t.to_string()).unwrap_or_default(),
            ]
        }),
    )?;
    write_table(
        dir,
        "satisfaction",
        SATISFACTION_COLS,
        ops.satisfaction.iter().map(|s| {
            vec![
                partner_id(s.partner),
                channel_id(s.channel),
                customer_id(s.customer),
                s.date.to_string(),
                s.score.to_string(),
            ]
        }),
    )?;
    write_table(
        dir,
        "deliveries",
        DELIVERY_COLS,
        ops.deliveries.iter().map(|d| {
            vec![
                d.order.clone(),
                partner_id(d.partner),
                channel_id(d.channel),
                d.ordered.to_string(),
                d.promised.to_string(),
                opt_date(d.delivered),
            ]
        }),
    )?;
    write_table(
        dir,
        "touchpoints",
        TOUCHPOINT_COLS,
        ops.touchpoints.iter().map(|t| {
            vec![
                customer_id(t.customer),
                t.time.to_string(),
                channel_id(t.channel),
                cur.format(t.cost),
            ]
        }),
    )?;
    Ok(())
}

fn writer(dir: &Path, table: &str) -> Result<(PathBuf, csv::Writer<BufWriter<File>>)> {
    let path = dir.join(format!("{table}.csv"));
    let file = File::create(&path).map_err(|e| io_error(&path, e))?;
    let w = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
    Ok((path, w))
}

fn write_error(path: &Path, e: csv::Error) -> Error {
    io_error(path, e.into())
}

fn finish_writer(path: &Path, w: csv::Writer<BufWriter<File>>) -> Result<()> {
    let inner = w
        .into_inner()
        .map_err(|e| io_error(path, std::io::Error::other(e.to_string())))?;
    inner
        .into_inner()
        .map_err(|e| io_error(path, std::io::Error::other(e.to_string())))?
        .sync_all()
        .map_err(|e| io_error(path, e))
}

/// Write a small table whose rows are given as text cells.
fn write_table(
    dir: &Path,
    table: &str,
    spec: Spec,
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    let (path, mut w) = writer(dir, table)?;
    w.write_record(spec.iter().map(|s| s.0))
        .map_err(|e| write_error(&path, e))?;
    for row in rows {
        w.write_record(&row).map_err(|e| write_error(&path, e))?;
    }
    finish_writer(&path, w)
}

/// Write the transactions field by field from the columns, reusing one number buffer.
fn write_transactions(data: &Dataset, dir: &Path) -> Result<()> {
    let m = &data.master;
    let cur = &m.currency;
    let tx = &data.transactions;
    let (path, mut w) = writer(dir, "transactions")?;
    let err = |e: csv::Error| write_error(&path, e);
    w.write_record(TX_COLS.iter().map(|s| s.0)).map_err(err)?;
    let mut buf: Vec<u8> = Vec::with_capacity(64);
    // Order ids: interned text, or the number itself for numeric (Arrow) order codes.
    let order_id = |code: u32, buf: &mut Vec<u8>| {
        buf.clear();
        match tx.orders.get(code) {
            Some(s) => buf.extend_from_slice(s.as_bytes()),
            None => {
                let _ = write!(buf, "{code}");
            }
        }
    };
    for c in &tx.chunks {
        for i in 0..c.len() {
            order_id(c.order[i], &mut buf);
            w.write_field(&buf).map_err(err)?;
            buf.clear();
            let _ = write!(buf, "{}", c.line[i]);
            w.write_field(&buf).map_err(err)?;
            buf.clear();
            let _ = write!(buf, "{}", Date(c.date[i]));
            w.write_field(&buf).map_err(err)?;
            w.write_field(m.customers.id(c.customer[i])).map_err(err)?;
            let p = c.partner[i];
            w.write_field(if p == NONE { "" } else { m.partners.id(p) })
                .map_err(err)?;
            w.write_field(m.channels.id(c.channel[i])).map_err(err)?;
            w.write_field(m.products.id(c.product[i])).map_err(err)?;
            w.write_field(m.territories.id(c.territory[i]))
                .map_err(err)?;
            w.write_field(if c.is_return(i) { "return" } else { "sale" })
                .map_err(err)?;
            buf.clear();
            let _ = write!(buf, "{}", c.quantity[i]);
            w.write_field(&buf).map_err(err)?;
            w.write_field(cur.format(c.unit_price[i])).map_err(err)?;
            w.write_field(cur.format(c.amount[i])).map_err(err)?;
            match c.cost_of(i) {
                Some(v) => w.write_field(cur.format(v)).map_err(err)?,
                None => w.write_field("").map_err(err)?,
            }
            let o = c.original_order[i];
            if o == NONE {
                w.write_field("").map_err(err)?;
            } else {
                order_id(o, &mut buf);
                w.write_field(&buf).map_err(err)?;
            }
            w.write_record(None::<&[u8]>).map_err(err)?;
        }
    }
    finish_writer(&path, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_from_bytes() {
        assert_eq!(parse_int(b" -12 "), Ok(-12));
        assert_eq!(parse_int(b"+7"), Ok(7));
        assert_eq!(parse_int(b""), Err(RejectReason::MissingValue));
        assert_eq!(parse_int(b"-"), Err(RejectReason::BadValue));
        assert_eq!(parse_int(b"1.5"), Err(RejectReason::BadValue));
        assert_eq!(
            parse_int(b"99999999999999999999"),
            Err(RejectReason::OutOfRange)
        );
    }

    /// Lines longer than the read block, CRLF and LF, blank lines, empty fields and a last
    /// line without a newline, read through a 4-byte block.
    #[test]
    fn plain_lines_split_across_small_blocks() -> std::io::Result<()> {
        let path = std::env::temp_dir().join(format!("qudao-plain-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "skip\nab,cdefgh,\r\n\n,x\r\n\r\nlonger-than-a-block\nq\"\nlast,1",
        )?;
        let mut file = File::open(&path)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(5))?;
        let mut p = PlainLines::new(file, 2, 5, 4);
        let mut got = Vec::new();
        loop {
            match p.next()? {
                Plain::Record => {
                    let fields: Vec<String> = (0..p.fields.len())
                        .map(|i| String::from_utf8_lossy(p.field(i)).into_owned())
                        .collect();
                    got.push((p.line, p.record_byte, fields.join("|")));
                }
                Plain::NeedsCsv => {
                    got.push((p.line, p.record_byte, "csv".to_owned()));
                    break;
                }
                Plain::End => break,
            }
        }
        std::fs::remove_file(&path)?;
        let want = [
            (2, 5, "ab|cdefgh|"),
            (4, 18, "|x"),
            (6, 24, "longer-than-a-block"),
            (7, 44, "csv"),
        ];
        let want: Vec<(u64, u64, String)> =
            want.iter().map(|&(l, b, f)| (l, b, f.to_owned())).collect();
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn zero_bytes_marks_exactly_the_zero_bytes() {
        // Bytes 0x00, 0x01, 0x80 and 0xff next to each other: where a borrow would leak.
        let bytes = [0x00u8, 0x01, 0x80, 0xff, 0x7f];
        for a in bytes {
            for b in bytes {
                for c in bytes {
                    let w = u64::from_le_bytes([a, b, c, 0, b, a, 0x2c, c]);
                    let want = w
                        .to_le_bytes()
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| **x == 0)
                        .fold(0u64, |m, (k, _)| m | 0x80 << (8 * k));
                    assert_eq!(zero_bytes(w), want, "{w:#x}");
                }
            }
        }
    }

    #[test]
    fn booleans_and_lists() {
        assert_eq!(parse_bool("YES"), Some(true));
        assert_eq!(parse_bool("n"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(list("ZJ!; SH;;").collect::<Vec<_>>(), ["ZJ!", "SH"]);
    }

    #[test]
    fn every_table_has_a_spec() {
        for t in TABLES {
            assert!(columns_of(t).is_some(), "{t}");
        }
    }
}
