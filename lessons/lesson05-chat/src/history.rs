//! L'historique des messages publics (question bonus du document 01) : les derniers
//! messages en mémoire, et en option un fichier où chaque message est ajouté dès
//! qu'il est envoyé, au format « JSON lines » (un objet JSON par ligne), pour qu'un
//! serveur redémarré s'en souvienne.
//!
//! Le fichier est écrit par un thread à lui, nourri par un canal borné : un disque
//! lent, plein ou réseau ne fige jamais le salon. Sa taille est bornée (compaction),
//! un disque plein ne l'abîme pas, et un fichier abîmé se relit quand même.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::{self, JoinHandle};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::protocol::{clean, validate_nick};

/// Taille maximale d'un enregistrement relu depuis le fichier : au-delà, la ligne est
/// forcément corrompue (un message fait au plus `--max-line` octets) et on ne la
/// charge pas.
const MAX_RECORD: usize = 16 * 1024;

/// Messages en route vers le disque au plus. Si le disque ne suit pas, les suivants
/// ne sont pas écrits (ils restent dans l'historique en mémoire) : le salon, lui,
/// n'attend pas.
const DISK_QUEUE: usize = 1024;

// ANCHOR: entry
/// Un message public. Dans le fichier, une ligne comme :
/// `{"time":1767225600,"from":"alice","text":"bonjour"}`
/// Chaque ligne se décrit elle-même : un programme peut la relire sans rien savoir
/// d'autre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Secondes depuis le 1er janvier 1970 (UTC).
    pub time: u64,
    pub from: String,
    pub text: String,
}

impl Entry {
    /// Un message envoyé maintenant.
    pub fn now(from: &str, text: &str) -> Entry {
        Entry {
            time: unix_time(),
            from: from.to_owned(),
            text: text.to_owned(),
        }
    }
}

/// L'heure actuelle en secondes Unix (0 si l'horloge est avant 1970).
pub fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
// ANCHOR_END: entry

/// Les `capacity` derniers messages publics, et le fichier où ils sont ajoutés.
#[derive(Debug)]
pub struct History {
    entries: VecDeque<Entry>,
    capacity: usize,
    disk: Option<Disk>,
}

/// Le côté « salon » du fichier : le canal vers le thread qui écrit.
#[derive(Debug)]
struct Disk {
    records: SyncSender<Entry>,
    writer: JoinHandle<io::Result<()>>,
    /// Messages que le disque n'a pas pu suivre, depuis le dernier avertissement.
    skipped: u64,
}

impl History {
    /// Un historique seulement en mémoire.
    pub fn in_memory(capacity: usize) -> History {
        History {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            disk: None,
        }
    }

    // ANCHOR: open
    /// Ouvre (ou crée) le fichier d'historique, charge ses `capacity` derniers
    /// messages et lance le thread qui y écrira.
    ///
    /// Un fichier inaccessible (dossier absent, droits) ou qui n'est pas un fichier
    /// ordinaire (un dossier, `/dev/full`, un tube nommé, dont l'ouverture
    /// bloquerait) est une erreur : mieux vaut refuser de démarrer que perdre
    /// l'historique en silence. Une ligne illisible, elle, est seulement sautée :
    /// après un `kill -9` ou un disque plein au milieu d'une écriture, la
    /// dernière ligne peut être tronquée, et le reste est bon.
    pub fn open(capacity: usize, path: &Path, max_bytes: u64) -> io::Result<History> {
        if let Ok(metadata) = fs::metadata(path) {
            if !metadata.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "ce n'est pas un fichier ordinaire",
                ));
            }
        }
        // `append` : chaque écriture va à la fin du fichier, même si un autre
        // programme y a écrit entre-temps.
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let loaded = load(BufReader::new(&mut file), capacity)?;
        if loaded.unreadable > 0 {
            warn!(
                "{} : {} lignes illisibles ignorées (la première : ligne {})",
                path.display(),
                loaded.unreadable,
                loaded.first_unreadable
            );
        }
        let size = file.metadata()?.len();
        let writer = DiskWriter {
            path: path.to_owned(),
            file,
            size,
            // La dernière ligne a été coupée en plein milieu : le thread écrira
            // d'abord un `\n`, sinon le prochain message serait collé à
            // ce morceau et illisible lui aussi.
            torn: !loaded.complete,
            failing: false,
            recent: loaded.entries.clone(),
            capacity,
            max_bytes,
        };
        let (records, queue) = mpsc::sync_channel(DISK_QUEUE);
        let writer = thread::Builder::new()
            .name("historique".into())
            .spawn(move || writer.run(queue))?;
        Ok(History {
            entries: loaded.entries,
            capacity,
            disk: Some(Disk {
                records,
                writer,
                skipped: 0,
            }),
        })
    }
    // ANCHOR_END: open

    // ANCHOR: push
    /// Ajoute un message : en mémoire (en oubliant le plus ancien au-delà de la
    /// capacité) et, par le canal, au thread qui l'écrira à la fin du fichier.
    /// `try_send` n'attend jamais.
    pub fn push(&mut self, entry: Entry) {
        if let Some(disk) = &mut self.disk {
            match disk.records.try_send(entry.clone()) {
                Ok(()) if disk.skipped > 0 => {
                    warn!(
                        "l'historique sur disque a repris ; {} messages n'y ont pas \
                         été écrits",
                        disk.skipped
                    );
                    disk.skipped = 0;
                }
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    if disk.skipped == 0 {
                        warn!(
                            "le disque ne suit pas : des messages ne sont plus \
                             écrits dans l'historique"
                        );
                    }
                    disk.skipped += 1;
                }
                Err(TrySendError::Disconnected(_)) => {} /* thread arrêté : déjà
                                                          * signalé */
            }
        }
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
    // ANCHOR_END: push

    /// Les `count` derniers messages (tous si `count` vaut `None`), du plus ancien au
    /// plus récent.
    pub fn last(
        &self,
        count: Option<usize>,
    ) -> impl DoubleEndedIterator<Item = &Entry> {
        let count = count.unwrap_or(self.entries.len()).min(self.entries.len());
        self.entries.range(self.entries.len() - count..)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ferme le fichier : renvoie de quoi attendre (dans un thread) que tout soit
    /// écrit et synchronisé sur le disque. L'historique reste utilisable en
    /// mémoire.
    pub fn close(&mut self) -> impl FnOnce() -> io::Result<()> + Send + 'static {
        let disk = self.disk.take();
        move || match disk {
            // Fermer le canal dit au thread que c'est fini ; il écrit le reste et
            // s'arrête.
            Some(Disk {
                records, writer, ..
            }) => {
                drop(records);
                writer.join().unwrap_or_else(|_| {
                    Err(io::Error::other("le thread de l'historique a paniqué"))
                })
            }
            None => Ok(()),
        }
    }
}

// ANCHOR: disk_writer
/// Le côté « disque » : le thread qui écrit les messages à la fin du fichier.
struct DiskWriter {
    path: PathBuf,
    file: File,
    /// Taille actuelle du fichier.
    size: u64,
    /// Vrai si le fichier se termine par un enregistrement coupé (écriture
    /// interrompue).
    torn: bool,
    /// Vrai pendant une série d'échecs (disque plein) : on ne prévient qu'une fois.
    failing: bool,
    /// Les `capacity` derniers messages, pour la compaction.
    recent: VecDeque<Entry>,
    capacity: usize,
    max_bytes: u64,
}

impl DiskWriter {
    fn run(mut self, queue: Receiver<Entry>) -> io::Result<()> {
        if self.size > self.max_bytes {
            self.compact();
        }
        for entry in queue {
            self.append(entry);
        }
        self.file.sync_all()
    }

    /// Ajoute un enregistrement. En cas d'échec (disque plein…), le salon continue :
    /// on prévient une fois, et le prochain enregistrement commencera par un `\n`
    /// pour clore celui qui a pu être écrit à moitié. Aucun enregistrement n'est
    /// jamais collé à un autre.
    fn append(&mut self, entry: Entry) {
        let mut record = Vec::with_capacity(entry.text.len() + 64);
        if self.torn {
            record.push(b'\n');
        }
        // Sérialiser une structure de chaînes et d'entiers ne peut pas échouer.
        serde_json::to_writer(&mut record, &entry)
            .expect("un Entry se sérialise toujours");
        record.push(b'\n');
        self.remember(entry);
        match self.file.write_all(&record) {
            Ok(()) => {
                if self.failing {
                    info!(
                        "l'écriture de l'historique {} reprend",
                        self.path.display()
                    );
                }
                self.failing = false;
                self.torn = false;
                self.size += record.len() as u64;
                if self.size > self.max_bytes {
                    self.compact();
                }
            }
            Err(err) => {
                if !self.failing {
                    warn!(
                        "écriture dans l'historique {} impossible : {err} ; le salon \
                         continue, les messages restent en mémoire",
                        self.path.display()
                    );
                }
                self.failing = true;
                self.torn = true;
            }
        }
    }

    fn remember(&mut self, entry: Entry) {
        if self.recent.len() == self.capacity {
            self.recent.pop_front();
        }
        if self.capacity > 0 {
            self.recent.push_back(entry);
        }
    }

    /// Réécrit le fichier avec seulement les derniers messages, dans un fichier
    /// temporaire renommé ensuite : à chaque instant, le fichier sur le disque
    /// est complet, l'ancien ou le nouveau (`rename` remplace d'un coup).
    fn compact(&mut self) {
        let temporary = self.path.with_extension("compaction");
        let written = (|| {
            let mut file = File::create(&temporary)?;
            let mut size = 0;
            for entry in &self.recent {
                let mut record = serde_json::to_vec(entry)?;
                record.push(b'\n');
                file.write_all(&record)?;
                size += record.len() as u64;
            }
            file.sync_all()?;
            fs::rename(&temporary, &self.path)?;
            let file = OpenOptions::new().append(true).open(&self.path)?;
            io::Result::Ok((file, size))
        })();
        match written {
            Ok((file, size)) => {
                info!(
                    "historique {} compacté : {} derniers messages, {size} octets",
                    self.path.display(),
                    self.recent.len()
                );
                self.file = file;
                self.size = size;
                self.torn = false;
            }
            Err(err) => {
                let _ = fs::remove_file(&temporary);
                warn!(
                    "compaction de l'historique {} impossible : {err}",
                    self.path.display()
                );
                // On réessaiera quand le fichier aura encore grandi d'autant.
                self.max_bytes = self.size.saturating_add(self.max_bytes);
            }
        }
    }
}
// ANCHOR_END: disk_writer

// ANCHOR: load
/// Ce que la relecture du fichier a trouvé.
struct Loaded {
    entries: VecDeque<Entry>,
    /// Vrai si le fichier se termine proprement par un `\n`.
    complete: bool,
    /// Lignes illisibles (corrompues, trop longues, pseudo invalide), et la
    /// première.
    unreadable: u64,
    first_unreadable: u64,
}

/// Relit le fichier ligne par ligne en ne gardant que les `capacity` dernières
/// entrées : la mémoire reste bornée même pour un fichier énorme. Les lignes
/// illisibles sont comptées, pas signalées une à une : un fichier de 100 Mo de
/// n'importe quoi donne UNE ligne de journal.
fn load(mut reader: impl BufRead, capacity: usize) -> io::Result<Loaded> {
    let mut loaded = Loaded {
        entries: VecDeque::new(),
        complete: true,
        unreadable: 0,
        first_unreadable: 0,
    };
    let mut record = Vec::new();
    for number in 1.. {
        record.clear();
        // `take` borne la lecture : une « ligne » de plusieurs Gio sans `\n` ne passe
        // pas.
        let read = (&mut reader)
            .take(MAX_RECORD as u64 + 1)
            .read_until(b'\n', &mut record)?;
        if read == 0 {
            break;
        }
        loaded.complete = record.ends_with(b"\n");
        let entry = if !loaded.complete && record.len() > MAX_RECORD {
            loaded.complete = skip_line(&mut reader)?;
            None
        } else if record.trim_ascii().is_empty() {
            continue;
        } else {
            parse_entry(record.trim_ascii())
        };
        match entry {
            Some(entry) => {
                loaded.entries.push_back(entry);
                if loaded.entries.len() > capacity {
                    loaded.entries.pop_front();
                }
            }
            None => {
                if loaded.unreadable == 0 {
                    loaded.first_unreadable = number;
                }
                loaded.unreadable += 1;
            }
        }
    }
    Ok(loaded)
}

/// Un enregistrement relu, nettoyé comme un message neuf : le fichier a pu être
/// modifié à la main, il ne doit pas servir à glisser un faux pseudo ou des
/// caractères de contrôle.
fn parse_entry(record: &[u8]) -> Option<Entry> {
    let entry: Entry = serde_json::from_slice(record).ok()?;
    validate_nick(&entry.from).ok()?;
    let text = clean(&entry.text);
    (!text.is_empty()).then_some(Entry { text, ..entry })
}

/// Saute la fin d'une ligne trop longue, par petits morceaux. Renvoie vrai si un `\n`
/// a été trouvé.
fn skip_line(reader: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(false);
        }
        if let Some(newline) = buffer.iter().position(|&b| b == b'\n') {
            reader.consume(newline + 1);
            return Ok(true);
        }
        let len = buffer.len();
        reader.consume(len);
    }
}
// ANCHOR_END: load

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Entry {
        Entry {
            time: 1,
            from: "alice".into(),
            text: text.into(),
        }
    }

    fn texts(entries: &VecDeque<Entry>) -> Vec<&str> {
        entries.iter().map(|e| e.text.as_str()).collect()
    }

    #[test]
    fn seuls_les_derniers_messages_sont_gardes() {
        let mut history = History::in_memory(2);
        for text in ["un", "deux", "trois"] {
            history.push(entry(text));
        }
        let texts: Vec<_> = history.last(None).map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["deux", "trois"]);
        let texts: Vec<_> = history.last(Some(1)).map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["trois"]);
        assert_eq!(history.last(Some(10)).count(), 2);
    }

    #[test]
    fn le_chargement_compte_les_lignes_corrompues_et_signale_la_fin_tronquee() {
        let file = concat!(
            "{\"time\":1,\"from\":\"alice\",\"text\":\"un\"}\n",
            "n'importe quoi\n",
            "\n",
            "{\"time\":2,\"from\":\"faux: pseudo\",\"text\":\"x\"}\n",
            "{\"time\":2,\"from\":\"bob\",\"text\":\"deux\\u001b[2J\"}\n",
            "{\"time\":3,\"from\":\"bob\",\"te"
        );
        let loaded = load(file.as_bytes(), 10).unwrap();
        assert_eq!(texts(&loaded.entries), ["un", "deux\u{FFFD}[2J"]);
        assert!(
            !loaded.complete,
            "la dernière ligne tronquée doit être signalée"
        );
        assert_eq!(loaded.unreadable, 3, "corrompue, pseudo invalide, tronquée");
        assert_eq!(loaded.first_unreadable, 2);
    }

    #[test]
    fn le_chargement_garde_les_derniers_et_borne_les_lignes() {
        let mut file = String::new();
        for i in 0..100 {
            file.push_str(&format!(
                "{{\"time\":{i},\"from\":\"a\",\"text\":\"m{i}\"}}\n"
            ));
        }
        file.push_str(&"x".repeat(MAX_RECORD + 10));
        file.push_str("\n{\"time\":7,\"from\":\"a\",\"text\":\"fin\"}\n");
        let loaded = load(file.as_bytes(), 3).unwrap();
        assert_eq!(texts(&loaded.entries), ["m98", "m99", "fin"]);
        assert!(loaded.complete);
        assert_eq!(loaded.unreadable, 1);
    }

    /// Un fichier unique du dossier temporaire, effacé à la fin du test.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(name: &str) -> TempPath {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let name =
                format!("lesson05-{name}-{}-{nanos}.jsonl", std::process::id());
            TempPath(std::env::temp_dir().join(name))
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    #[test]
    fn le_fichier_est_compacte_au_dela_de_sa_taille_maximale() {
        let path = TempPath::new("compaction");
        let mut history = History::open(3, &path.0, 500).unwrap();
        for i in 0..100 {
            history.push(entry(&format!("message numéro {i}")));
        }
        history.close()().unwrap();
        let size = fs::metadata(&path.0).unwrap().len();
        assert!(
            size <= 600,
            "le fichier devait rester petit : {size} octets"
        );
        let reopened = History::open(3, &path.0, 500).unwrap();
        let last: Vec<_> = reopened.last(None).map(|e| e.text.clone()).collect();
        assert_eq!(
            last,
            [
                "message numéro 97",
                "message numéro 98",
                "message numéro 99"
            ]
        );
    }

    #[test]
    fn un_enregistrement_tronque_est_clos_avant_le_suivant() {
        let path = TempPath::new("tronque");
        fs::write(
            &path.0,
            "{\"time\":1,\"from\":\"a\",\"text\":\"un\"}\n{\"time\":2,\"fr",
        )
        .unwrap();
        let mut history = History::open(10, &path.0, 1 << 20).unwrap();
        history.push(entry("deux"));
        history.close()().unwrap();
        let reopened = History::open(10, &path.0, 1 << 20).unwrap();
        let all: Vec<_> = reopened.last(None).map(|e| e.text.clone()).collect();
        assert_eq!(
            all,
            ["un", "deux"],
            "« deux » ne doit pas être collé au morceau"
        );
    }

    /// Un disque plein, pour de vrai : sous Linux, toute écriture dans `/dev/full`
    /// échoue avec ENOSPC (« No space left on device »).
    #[cfg(target_os = "linux")]
    #[test]
    fn un_disque_plein_n_arrete_rien_et_aucun_enregistrement_n_est_colle() {
        let path = TempPath::new("disque-plein");
        fs::write(&path.0, "{\"time\":1,\"from\":\"a\",\"text\":\"avant\"}\n")
            .unwrap();
        let file = OpenOptions::new().append(true).open(&path.0).unwrap();
        let mut writer = DiskWriter {
            path: path.0.clone(),
            file: OpenOptions::new().write(true).open("/dev/full").unwrap(),
            size: 0,
            torn: false,
            failing: false,
            recent: VecDeque::new(),
            capacity: 10,
            max_bytes: 1 << 20,
        };
        writer.append(entry("perdu sur le disque"));
        assert!(
            writer.failing && writer.torn,
            "l'échec est retenu, sans panique"
        );
        // La place revient : le prochain enregistrement est écrit, seul sur sa ligne.
        writer.file = file;
        writer.append(entry("après"));
        assert!(!writer.failing && !writer.torn);
        let reopened = History::open(10, &path.0, 1 << 20).unwrap();
        let all: Vec<_> = reopened.last(None).map(|e| e.text.clone()).collect();
        assert_eq!(all, ["avant", "après"]);
        // Et au redémarrage, un disque encore plein n'empêche pas d'ouvrir : rien
        // n'est écrit tant qu'il n'y a pas de message.
        let len = fs::metadata(&path.0).unwrap().len();
        drop(History::open(10, &path.0, 1 << 20).unwrap());
        assert_eq!(fs::metadata(&path.0).unwrap().len(), len);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_full_est_refuse_au_demarrage() {
        let err = History::open(10, Path::new("/dev/full"), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn ce_qui_n_est_pas_un_fichier_ordinaire_est_refuse() {
        let err = History::open(10, &std::env::temp_dir(), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("fichier ordinaire"), "{err}");
    }
}
