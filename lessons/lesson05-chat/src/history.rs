//! L'historique des messages publics (question bonus du document 01) : les derniers messages
//! en mémoire, et en option un fichier où chaque message est ajouté dès qu'il est envoyé, au
//! format « JSON lines » (un objet JSON par ligne), pour qu'un serveur redémarré s'en souvienne.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::protocol::sanitize;

/// Taille maximale d'un enregistrement relu depuis le fichier : au-delà, la ligne est
/// forcément corrompue et on ne la charge pas en mémoire.
const MAX_RECORD: usize = 1024 * 1024;

// ANCHOR: entry
/// Un message public. Dans le fichier, une ligne comme :
/// `{"time":1767225600,"from":"alice","text":"bonjour"}`
/// Chaque ligne se décrit elle-même : un programme peut la relire sans rien savoir d'autre.
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
    file: Option<(PathBuf, File)>,
}

impl History {
    /// Un historique seulement en mémoire.
    pub fn in_memory(capacity: usize) -> History {
        History {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            file: None,
        }
    }

    // ANCHOR: open
    /// Ouvre (ou crée) le fichier d'historique et charge ses `capacity` derniers messages.
    ///
    /// Un fichier inaccessible (dossier absent, droits) est une erreur : mieux vaut refuser
    /// de démarrer que perdre l'historique en silence. Une ligne illisible, elle, n'est qu'un
    /// avertissement : après un `kill -9` au milieu d'une écriture, la dernière ligne peut
    /// être tronquée, et tout le reste du fichier est bon.
    pub fn open(capacity: usize, path: &Path) -> io::Result<History> {
        // `append` : chaque écriture va à la fin du fichier, même si un autre programme y
        // a écrit entre-temps.
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let (entries, complete) = load(BufReader::new(&mut file), capacity, path)?;
        if !complete {
            // La dernière ligne a été coupée en plein milieu : sans ce `\n`, le prochain
            // message serait collé à ce morceau et deviendrait illisible lui aussi.
            file.write_all(b"\n")?;
        }
        Ok(History {
            entries,
            capacity,
            file: Some((path.to_owned(), file)),
        })
    }
    // ANCHOR_END: open

    // ANCHOR: push
    /// Ajoute un message : en mémoire (en oubliant le plus ancien au-delà de la capacité) et à
    /// la fin du fichier.
    ///
    /// Cette écriture est un appel BLOQUANT, fait dans une tâche tokio et verrou tenu. On
    /// l'accepte ici : un enregistrement (quelques centaines d'octets, quelques Kio au plus)
    /// part d'ordinaire dans le cache du noyau en quelques microsecondes, et l'écrire sous le
    /// verrou garde le fichier dans l'ordre de l'historique. Mais un disque lent ou saturé
    /// (clé USB, disque réseau) ferait attendre tout le salon : un serveur chargé confierait
    /// l'écriture à un thread dédié, nourri par un canal borné (un `spawn_blocking` par
    /// message, lui, ne garantirait plus l'ordre des lignes).
    pub fn push(&mut self, entry: Entry) {
        if let Some((path, file)) = &mut self.file {
            let mut record = serde_json::to_vec(&entry).unwrap_or_default();
            record.push(b'\n');
            if let Err(err) = file.write_all(&record) {
                // Disque plein, par exemple : le salon continue, seul le fichier en souffre.
                warn!(
                    "écriture dans l'historique {} impossible : {err}",
                    path.display()
                );
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

    /// Les `count` derniers messages (tous si `count` vaut `None`), du plus ancien au plus récent.
    pub fn last(&self, count: Option<usize>) -> impl Iterator<Item = &Entry> {
        let count = count.unwrap_or(self.entries.len()).min(self.entries.len());
        self.entries.range(self.entries.len() - count..)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Demande au noyau d'écrire le fichier sur le disque (à l'arrêt du serveur).
    pub fn sync(&self) -> io::Result<()> {
        match &self.file {
            Some((_, file)) => file.sync_all(),
            None => Ok(()),
        }
    }
}

// ANCHOR: load
/// Relit le fichier ligne par ligne en ne gardant que les `capacity` dernières entrées : la
/// mémoire reste bornée même pour un fichier énorme. Renvoie aussi si le fichier se termine
/// proprement par un `\n`.
fn load(
    mut reader: impl BufRead,
    capacity: usize,
    path: &Path,
) -> io::Result<(VecDeque<Entry>, bool)> {
    let mut entries = VecDeque::new();
    let mut record = Vec::new();
    let mut complete = true;
    for number in 1.. {
        record.clear();
        // `take` borne la lecture : une « ligne » de plusieurs Gio sans `\n` ne passe pas.
        let read = (&mut reader)
            .take(MAX_RECORD as u64 + 1)
            .read_until(b'\n', &mut record)?;
        if read == 0 {
            break;
        }
        complete = record.ends_with(b"\n");
        if !complete && record.len() > MAX_RECORD {
            warn!("{}, ligne {number} : trop longue, ignorée", path.display());
            complete = skip_line(&mut reader)?;
            continue;
        }
        match serde_json::from_slice::<Entry>(record.trim_ascii()) {
            Ok(entry) => {
                entries.push_back(Entry {
                    from: sanitize(&entry.from).into_owned(),
                    text: sanitize(&entry.text).into_owned(),
                    ..entry
                });
                if entries.len() > capacity {
                    entries.pop_front();
                }
            }
            Err(_) if record.trim_ascii().is_empty() => {}
            Err(err) => warn!(
                "{}, ligne {number} illisible, ignorée : {err}",
                path.display()
            ),
        }
    }
    Ok((entries, complete))
}

/// Saute la fin d'une ligne trop longue, par petits morceaux. Renvoie vrai si un `\n` a été
/// trouvé.
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
    fn le_chargement_ignore_les_lignes_corrompues_et_tronquees() {
        let file = concat!(
            "{\"time\":1,\"from\":\"alice\",\"text\":\"un\"}\n",
            "n'importe quoi\n",
            "\n",
            "{\"time\":2,\"from\":\"bob\",\"text\":\"deux\"}\n",
            "{\"time\":3,\"from\":\"bob\",\"te"
        );
        let (entries, complete) = load(file.as_bytes(), 10, Path::new("test")).unwrap();
        let texts: Vec<_> = entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["un", "deux"]);
        assert!(!complete, "la dernière ligne tronquée doit être signalée");
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
        let (entries, complete) = load(file.as_bytes(), 3, Path::new("test")).unwrap();
        let texts: Vec<_> = entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["m98", "m99", "fin"]);
        assert!(complete);
    }
}
