//! Vérification automatique du livre (`book/src`), lancée par `cargo test` à la
//! racine.
//!
//! mdBook ne signale ni les liens internes cassés ni les ancres d'inclusion
//! disparues : une ancre renommée dans une leçon donnerait en silence un extrait
//! vide. Ces tests, écrits avec la seule bibliothèque standard, vérifient donc que :
//! - chaque entrée du sommaire (`SUMMARY.md`) correspond à un fichier, et chaque page
//!   est au sommaire ;
//! - chaque `{{#include chemin:ancre}}` (et `#rustdoc_include`) désigne un fichier
//!   qui existe et une ancre présente dans ce fichier (`ANCHOR: nom` et
//!   `ANCHOR_END: nom`) ;
//! - chaque leçon de `lessons/` et chaque exercice de `exercises/src/` a sa page au
//!   sommaire ;
//! - les liens entre pages aboutissent, jusqu'au titre visé quand le lien en donne
//!   un ;
//! - chaque figure SVG de `book/src/figures` est affichée par une page, bien formée,
//!   sans rien d'extérieur à charger, et tient dans la colonne de texte (`viewBox`
//!   d'au plus 720 de large).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Racine de l'espace de travail (le dossier parent de `book/`).
fn workspace_root() -> PathBuf {
    let book = Path::new(env!("CARGO_MANIFEST_DIR"));
    book.parent()
        .expect("le paquet book-check doit être dans un sous-dossier de l'espace de travail")
        .to_path_buf()
}

fn book_src() -> PathBuf {
    workspace_root().join("book").join("src")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("impossible de lire {} : {err}", path.display()))
}

/// Chemin affiché dans les messages : relatif à la racine du dépôt, plus lisible.
fn shown(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Supprime les `.` et `..` d'un chemin sans toucher au disque (le fichier peut
/// manquer).
fn normalize(path: &Path) -> PathBuf {
    let mut result = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                result.pop();
            }
            other => result.push(other),
        }
    }
    result
}

/// Une entrée du sommaire : `[titre](chemin)`.
struct Entry {
    title: String,
    path: String,
}

fn summary_entries() -> Vec<Entry> {
    let summary = read(&book_src().join("SUMMARY.md"));
    let mut entries = Vec::new();
    for line in summary.lines() {
        let Some(open) = line.find('[') else { continue };
        let Some(middle) = line[open..].find("](").map(|i| open + i) else {
            continue;
        };
        let Some(close) = line[middle..].find(')').map(|i| middle + i) else {
            continue;
        };
        let path = line[middle + 2..close].trim();
        // `[Brouillon]()` est un chapitre sans fichier, permis par mdBook.
        if !path.is_empty() {
            entries.push(Entry {
                title: line[open + 1..middle].to_string(),
                path: path.to_string(),
            });
        }
    }
    entries
}

/// Toutes les pages Markdown du livre, récursivement.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|err| {
            panic!("impossible de lister {} : {err}", dir.display())
        });
        for entry in entries {
            let path = entry.expect("entrée de dossier illisible").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&book_src(), &mut files);
    files.sort();
    files
}

/// Où tombe une ligne d'une page Markdown : dans la prose, sur une clôture de bloc
/// de code (```` ``` ```` ou `~~~`), ou dans le bloc.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Prose,
    Fence,
    Code,
}

/// Chaque ligne de la page, numérotée à partir de 1, avec sa place. Le seul endroit
/// qui suit l'ouverture et la fermeture des blocs de code.
fn places(text: &str) -> Vec<(usize, &str, Place)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"]
            .into_iter()
            .find(|marker| trimmed.starts_with(marker));
        let place = match (fence, marker) {
            (None, Some(marker)) => {
                fence = Some(marker);
                Place::Fence
            }
            (Some(open), Some(marker)) if open == marker => {
                fence = None;
                Place::Fence
            }
            (None, None) => Place::Prose,
            (Some(_), _) => Place::Code,
        };
        lines.push((index + 1, line, place));
    }
    lines
}

/// Les lignes hors des blocs de code délimités, avec leur numéro.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    places(text)
        .into_iter()
        .filter(|&(_, _, place)| place == Place::Prose)
        .map(|(number, line, _)| (number, line))
        .collect()
}

/// Retire les portions de code en ligne (`...`) : un lien écrit dans du code n'en est
/// pas un.
fn without_inline_code(line: &str) -> String {
    let mut result = String::new();
    let mut in_code = false;
    for ch in line.chars() {
        if ch == '`' {
            in_code = !in_code;
        } else if !in_code {
            result.push(ch);
        }
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Le sommaire
// ---------------------------------------------------------------------------------------------

#[test]
fn chaque_entree_du_sommaire_designe_un_fichier_existant() {
    let entries = summary_entries();
    assert!(
        !entries.is_empty(),
        "SUMMARY.md ne contient aucune entrée [titre](fichier.md)"
    );
    let missing: Vec<String> = entries
        .iter()
        .filter(|entry| !book_src().join(&entry.path).is_file())
        .map(|entry| format!("« {} » → book/src/{}", entry.title, entry.path))
        .collect();
    assert!(
        missing.is_empty(),
        "ces entrées de SUMMARY.md désignent des fichiers absents :\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn chaque_page_du_livre_est_au_sommaire() {
    let listed: BTreeSet<PathBuf> = summary_entries()
        .iter()
        .map(|entry| normalize(&book_src().join(&entry.path)))
        .collect();
    let src = book_src();
    let orphans: Vec<String> = markdown_files()
        .into_iter()
        .filter(|path| path != &src.join("SUMMARY.md"))
        // `bench/` contient les résultats écrits par `tools/bench-suite` : la page de
        // la leçon 06 les inclut.
        .filter(|path| !path.starts_with(src.join("bench")))
        .filter(|path| !listed.contains(&normalize(path)))
        .map(|path| shown(&path))
        .collect();
    assert!(
        orphans.is_empty(),
        "ces pages ne sont pas dans SUMMARY.md, mdBook ne les publierait pas :\n  {}",
        orphans.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Les inclusions de code : {{#include fichier:ancre}}
// ---------------------------------------------------------------------------------------------

/// Une directive d'inclusion trouvée dans une page.
struct Include {
    page: PathBuf,
    line: usize,
    file: String,
    anchor: Option<String>,
}

/// Trouve les `{{#include ...}}`, `{{#rustdoc_include ...}}` et `{{#playground ...}}`
/// d'une page. mdBook les traite partout, y compris dans les blocs de code ;
/// `\{{#include}}` est la forme échappée, affichée telle quelle.
fn includes_of(page: &Path) -> Vec<Include> {
    let text = read(page);
    let mut includes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let escaped = rest[..start].ends_with('\\');
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let directive = after[..end].trim();
            rest = &after[end + 2..];
            if escaped {
                continue;
            }
            let Some(body) = ["#include", "#rustdoc_include", "#playground"]
                .into_iter()
                .find_map(|name| directive.strip_prefix(name))
            else {
                continue;
            };
            let body = body.trim();
            let (file, selector) = match body.split_once(':') {
                Some((file, selector)) => (file, Some(selector)),
                None => (body, None),
            };
            // Après le `:`, soit des numéros de lignes (`10`, `10:20`, `:20`), soit
            // une ancre.
            let anchor = selector
                .filter(|s| !s.chars().all(|c| c.is_ascii_digit() || c == ':'))
                .map(|s| s.trim().to_string());
            includes.push(Include {
                page: page.to_path_buf(),
                line: index + 1,
                file: file.trim().to_string(),
                anchor,
            });
        }
    }
    includes
}

/// L'ancre est-elle ouverte puis fermée dans ce fichier ? (comme mdBook :
/// `ANCHOR: nom` suivi, plus loin, de `ANCHOR_END: nom`).
fn has_anchor(source: &str, anchor: &str) -> bool {
    let marker_line = |line: &str, marker: &str| {
        line.split_once(marker)
            .map(|(_, rest)| {
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                name == anchor
            })
            .unwrap_or(false)
    };
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|line| marker_line(line, "ANCHOR:"));
    let end = lines
        .iter()
        .rposition(|line| marker_line(line, "ANCHOR_END:"));
    matches!((start, end), (Some(start), Some(end)) if start < end)
}

#[test]
fn chaque_inclusion_designe_un_fichier_et_une_ancre_existants() {
    let mut problems = Vec::new();
    let mut count = 0;
    for page in markdown_files() {
        for include in includes_of(&page) {
            count += 1;
            let dir = include.page.parent().expect("une page a un dossier parent");
            let target = normalize(&dir.join(&include.file));
            let place = format!("{}:{}", shown(&include.page), include.line);
            if !target.is_file() {
                problems.push(format!(
                    "{place} : le fichier inclus « {} » n'existe pas (chemin relatif à la page : {})",
                    include.file,
                    shown(&target)
                ));
                continue;
            }
            if let Some(anchor) = &include.anchor {
                if !has_anchor(&read(&target), anchor) {
                    problems.push(format!(
                        "{place} : l'ancre « {anchor} » est absente de {} (il faut `// ANCHOR: {anchor}` puis `// ANCHOR_END: {anchor}`)",
                        shown(&target)
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} inclusion(s) cassée(s) sur {count} :\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Le code tient dans la colonne
// ---------------------------------------------------------------------------------------------

/// La colonne de code du livre, en caractères. Mesurée dans Chromium avec le thème
/// de mdBook : un bloc de code fait 750 px de large, moins 2 × 10 px de marge
/// intérieure, et la police (Source Code Pro, 14 px) avance de 8,4 px par
/// caractère : 730 / 8,4 = 86,9. Au-delà, le lecteur doit faire défiler la ligne.
/// `rustfmt.toml` impose la même limite au code des leçons.
const MAX_CODE_COLUMNS: usize = 86;

/// Largeur affichée d'une ligne dans une police à chasse fixe : un caractère par
/// colonne, sauf les émojis et les idéogrammes qui en prennent deux.
fn columns(line: &str) -> usize {
    line.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}' => 2,
            '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{1F300}'..='\u{1FAFF}' => 2,
            '\u{2705}' | '\u{274C}' => 2,
            _ => 1,
        })
        .sum()
}

/// Les lignes qu'une inclusion affiche : celles entre `ANCHOR: nom` et
/// `ANCHOR_END: nom` (sans les marqueurs), ou le fichier entier.
fn included_lines<'a>(
    source: &'a str,
    anchor: Option<&str>,
) -> Vec<(usize, &'a str)> {
    let numbered = source
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    let Some(anchor) = anchor else {
        return numbered.collect();
    };
    let is_marker = |line: &str, marker: &str| {
        line.split_once(marker).is_some_and(|(_, rest)| {
            let name = rest.trim_start();
            name.strip_prefix(anchor).is_some_and(|after| {
                !after.starts_with(|c: char| {
                    c.is_alphanumeric() || c == '_' || c == '-'
                })
            })
        })
    };
    let mut inside = false;
    let mut lines = Vec::new();
    for (number, line) in numbered {
        if is_marker(line, "ANCHOR_END:") {
            inside = false;
        } else if is_marker(line, "ANCHOR:") {
            inside = true;
        } else if inside && !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:")
        {
            lines.push((number, line));
        }
    }
    lines
}

/// Les numéros des lignes d'une page qui sont dans un bloc de code (clôtures
/// exclues).
fn lines_in_code_blocks(text: &str) -> BTreeSet<usize> {
    places(text)
        .into_iter()
        .filter(|&(_, _, place)| place == Place::Code)
        .map(|(number, _, _)| number)
        .collect()
}

/// Les lignes des blocs de code écrits dans la page elle-même, sans les directives
/// d'inclusion (mdBook les remplace par le fichier inclus).
fn fenced_lines(text: &str) -> Vec<(usize, &str)> {
    let inside = lines_in_code_blocks(text);
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(number, line)| inside.contains(number) && !line.contains("{{#"))
        .collect()
}

#[test]
fn le_code_affiche_tient_dans_la_colonne_du_livre() {
    let mut problems = Vec::new();
    let mut count = 0;
    let mut check = |place: String, line: &str| {
        count += 1;
        let width = columns(line);
        if width > MAX_CODE_COLUMNS {
            problems.push(format!("{place} : {width} colonnes : {}", line.trim()));
        }
    };
    for page in markdown_files() {
        let text = read(&page);
        for (number, line) in fenced_lines(&text) {
            check(format!("{}:{number}", shown(&page)), line);
        }
        // Une inclusion hors d'un bloc de code (un tableau en Markdown, par exemple)
        // est mise en page comme du texte : elle se replie d'elle-même.
        let in_code = lines_in_code_blocks(&text);
        for include in includes_of(&page) {
            if !in_code.contains(&include.line) {
                continue;
            }
            let dir = include.page.parent().expect("une page a un dossier parent");
            let target = normalize(&dir.join(&include.file));
            let Ok(source) = fs::read_to_string(&target) else {
                continue; // signalé par le test des inclusions
            };
            for (number, line) in included_lines(&source, include.anchor.as_deref()) {
                check(format!("{}:{number}", shown(&target)), line);
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} ligne(s) de code sur {count} dépassent les {MAX_CODE_COLUMNS} colonnes du \
         livre (coupez la ligne, la chaîne ou le commentaire ; `cargo fmt` s'occupe du \
         code) :\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn la_largeur_du_code_est_bien_mesuree() {
    assert_eq!(columns("« é »"), 5);
    assert_eq!(columns("✅ 日本"), 7);
    let source = "a\n// ANCHOR: x\nb\n// ANCHOR: y\nc\n// ANCHOR_END: y\n\
                  // ANCHOR_END: x\n// ANCHOR: xy\nd\n// ANCHOR_END: xy\n";
    let lines = |anchor| -> Vec<&str> {
        included_lines(source, anchor)
            .into_iter()
            .map(|(_, l)| l)
            .collect()
    };
    assert_eq!(
        lines(Some("x")),
        vec!["b", "c"],
        "marqueurs internes retirés"
    );
    assert_eq!(lines(Some("xy")), vec!["d"], "un préfixe n'est pas l'ancre");
    assert_eq!(lines(None).len(), 10, "sans ancre : tout le fichier");
    let page =
        "texte trop long hors bloc\n```text\nun\n{{#include a.rs}}\n```\nfin\n";
    assert_eq!(fenced_lines(page), vec![(3, "un")]);
    assert_eq!(lines_in_code_blocks(page), BTreeSet::from([3, 4]));
}

// ---------------------------------------------------------------------------------------------
// Une page par leçon, une page par exercice
// ---------------------------------------------------------------------------------------------

/// Le nom du paquet déclaré dans un Cargo.toml (`name = "..."` de la section
/// [package]).
fn package_name(manifest: &Path) -> Option<String> {
    read(manifest).lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("name")?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_string())
    })
}

#[test]
fn chaque_lecon_a_son_chapitre_au_sommaire() {
    let lessons_dir = workspace_root().join("lessons");
    let entries = summary_entries();
    let mut problems = Vec::new();
    let mut lessons = fs::read_dir(&lessons_dir)
        .unwrap_or_else(|err| panic!("impossible de lister lessons/ : {err}"))
        .map(|entry| entry.expect("entrée de dossier illisible").path())
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .collect::<Vec<_>>();
    lessons.sort();
    assert!(!lessons.is_empty(), "aucune leçon trouvée dans lessons/");
    for dir in lessons {
        let Some(name) = package_name(&dir.join("Cargo.toml")) else {
            problems.push(format!("{} : pas de `name` dans Cargo.toml", shown(&dir)));
            continue;
        };
        // lesson03-threads → « Leçon 03 » dans le titre de l'entrée du sommaire.
        let number: String = name
            .trim_start_matches("lesson")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let wanted = format!("Leçon {number}");
        let chapter = entries
            .iter()
            .find(|entry| entry.title.starts_with(&wanted));
        match chapter {
            None => problems.push(format!(
                "la leçon `{name}` n'a pas d'entrée « {wanted} : … » dans SUMMARY.md"
            )),
            Some(entry) => {
                let page = book_src().join(&entry.path);
                if page.is_file() && !read(&page).contains(&name) {
                    problems.push(format!(
                        "la page book/src/{} (« {} ») ne mentionne pas le crate `{name}`",
                        entry.path, entry.title
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "leçons sans chapitre :\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn chaque_exercice_a_sa_page_au_sommaire() {
    let exercises_src = workspace_root().join("exercises").join("src");
    let Ok(dir) = fs::read_dir(&exercises_src) else {
        // Pas encore d'exercices dans le dépôt : rien à vérifier.
        return;
    };
    // exNN_nom.rs ou exNN_nom/ (module dossier) → « exNN ».
    let mut numbers: BTreeSet<String> = BTreeSet::new();
    for entry in dir {
        let name = entry
            .expect("entrée de dossier illisible")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(rest) = name.strip_prefix("ex") else {
            continue;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with('_') {
            numbers.insert(format!("ex{digits}"));
        }
    }
    let pages: Vec<String> = summary_entries()
        .into_iter()
        .filter_map(|entry| {
            Path::new(&entry.path)
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .collect();
    let missing: Vec<&String> = numbers
        .iter()
        .filter(|number| {
            !pages.iter().any(|stem| {
                stem == *number
                    || stem
                        .strip_prefix(number.as_str())
                        .is_some_and(|rest| rest.starts_with(['-', '_']))
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ces exercices de exercises/src/ n'ont pas de page exercices/exNN….md dans SUMMARY.md : {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Les liens internes
// ---------------------------------------------------------------------------------------------

/// Cibles des liens Markdown d'une page : `[texte](cible)` et `[réf]: cible`, hors
/// code.
fn links_of(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_inline_code(line);
        let trimmed = line.trim_start();
        // Définition de lien par référence : `[nom]: cible`.
        if trimmed.starts_with('[') {
            if let Some((_, target)) = trimmed.split_once("]:") {
                if let Some(target) = target.split_whitespace().next() {
                    links.push((number, target.to_string()));
                }
                continue;
            }
        }
        let mut rest = line.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            links.push((number, target.trim_matches(['<', '>']).to_string()));
            rest = &after[end + 1..];
        }
    }
    links
}

/// L'identifiant HTML que mdBook donne à un titre : minuscules, espaces → `-`,
/// ponctuation retirée ; les doublons reçoivent `-1`, `-2`…
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let mut title = line[hashes..]
            .trim()
            .trim_end_matches('#')
            .trim()
            .to_string();
        // `## Titre {#mon-id}` : identifiant explicite.
        if let Some(open) = title.rfind("{#") {
            if title.ends_with('}') {
                ids.insert(title[open + 2..title.len() - 1].to_string());
                continue;
            }
            title.truncate(open);
        }
        let base = heading_id(&title);
        let mut id = base.clone();
        let mut counter = 1;
        while ids.contains(&id) {
            id = format!("{base}-{counter}");
            counter += 1;
        }
        ids.insert(id);
    }
    ids
}

/// Le texte affiché d'un titre (sans `[lien](cible)`, `**`, `` ` ``) transformé en
/// identifiant.
fn heading_id(title: &str) -> String {
    let mut visible = String::new();
    let mut rest = title;
    while let Some(start) = rest.find("](") {
        visible.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        rest = after.find(')').map_or("", |end| &after[end + 1..]);
    }
    visible.push_str(rest);
    visible
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '*' | '`'))
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_lowercase().collect::<String>())
            } else if c.is_whitespace() {
                Some("-".to_string())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn les_liens_internes_aboutissent() {
    let src = book_src();
    let mut problems = Vec::new();
    for page in markdown_files() {
        let text = read(&page);
        let dir = page.parent().expect("une page a un dossier parent");
        for (line, target) in links_of(&text) {
            let place = format!("{}:{line}", shown(&page));
            if target.is_empty()
                || target.contains("://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            let file_path = if file.is_empty() {
                page.clone()
            } else {
                normalize(&dir.join(file))
            };
            if !file_path.starts_with(&src) {
                problems.push(format!(
                    "{place} : « {target} » sort du livre (book/src) : ce lien serait cassé une fois publié"
                ));
                continue;
            }
            // Un lien vers une page s'écrit avec son nom .md ; mdBook le change en
            // .html.
            let file_path = if file_path.extension().is_some_and(|ext| ext == "html")
            {
                file_path.with_extension("md")
            } else {
                file_path
            };
            if !file_path.is_file() {
                problems.push(format!(
                    "{place} : le lien « {target} » vise {} qui n'existe pas",
                    shown(&file_path)
                ));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if file_path.extension().is_some_and(|ext| ext == "md")
                && !heading_ids(&read(&file_path)).contains(fragment)
            {
                problems.push(format!(
                    "{place} : le lien « {target} » vise le titre « #{fragment} », absent de {}",
                    shown(&file_path)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "liens internes cassés :\n  {}",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Des commandes à lancer, des captures réelles, des figures présentes
// ---------------------------------------------------------------------------------------------

/// Les pages qui n'ont rien à faire lancer : un glossaire se lit.
const WITHOUT_COMMAND: [&str; 1] = ["glossaire.md"];

/// Une page « donne une commande à lancer » si elle montre une ligne de terminal
/// (`$ …`) ou inclut une capture enregistrée (qui commence par sa commande).
fn shows_a_command(text: &str) -> bool {
    text.lines()
        .any(|line| line.starts_with("$ ") || line.contains("{{#include captures/"))
}

#[test]
fn chaque_chapitre_donne_une_commande_a_lancer() {
    let without: Vec<String> = summary_entries()
        .iter()
        .filter(|entry| !WITHOUT_COMMAND.contains(&entry.path.as_str()))
        .filter(|entry| !shows_a_command(&read(&book_src().join(&entry.path))))
        .map(|entry| format!("« {} » (book/src/{})", entry.title, entry.path))
        .collect();
    assert!(
        without.is_empty(),
        "ces chapitres n'ont rien à essayer (une ligne `$ commande` dans un bloc console, ou une \
         capture incluse) :\n  {}",
        without.join("\n  ")
    );
}

/// Les scripts qui écrivent les captures du livre : `scripts/captures.sh` (le
/// réseau, avec tcpdump), `scripts/client-plein-ecran.sh` (l'écran du client de la
/// leçon 05, avec tmux) et `scripts/navigateur.sh` (la poignée de main WebSocket de
/// la leçon 08, avec curl).
const CAPTURE_SCRIPTS: [&str; 3] = [
    "scripts/captures.sh",
    "scripts/client-plein-ecran.sh",
    "scripts/navigateur.sh",
];

/// Les noms de fichiers que les scripts de captures écrivent (`"$out/nom.txt"`), en
/// motifs : une variable du script (`$lesson`) vaut n'importe quel mot.
fn capture_patterns() -> Vec<String> {
    let scripts = CAPTURE_SCRIPTS.map(|script| read(&workspace_root().join(script)));
    let mut patterns = Vec::new();
    for piece in scripts
        .iter()
        .flat_map(|script| script.split("\"$out/").skip(1))
    {
        if let Some(name) = piece
            .split('"')
            .next()
            .filter(|name| name.ends_with(".txt"))
        {
            patterns.push(name.to_string());
        }
    }
    patterns
}

/// `threads-$lesson.txt` correspond-il à `threads-lesson03-threads.txt` ?
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('$');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    let last = parts.pop().unwrap_or_default();
    // Chaque morceau après une variable : on retire le nom de la variable, on garde
    // le texte.
    let tail = |part: &str| -> String {
        part.trim_start_matches('{')
            .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .trim_start_matches('}')
            .to_string()
    };
    for part in parts {
        let literal = tail(part);
        match rest.find(&literal) {
            Some(at) if at > 0 => rest = &rest[at + literal.len()..],
            _ => return false,
        }
    }
    let literal = tail(last);
    rest.len() > literal.len() && rest.ends_with(&literal)
}

#[test]
fn chaque_capture_du_livre_vient_du_script_et_montre_sa_commande() {
    let patterns = capture_patterns();
    assert!(
        !patterns.is_empty(),
        "scripts/captures.sh n'écrit aucune capture ?"
    );
    let dir = book_src().join("captures");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("book/src/captures existe") {
        let path = entry.expect("entrée lisible").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if !patterns
            .iter()
            .any(|pattern| matches_pattern(pattern, &name))
        {
            problems.push(format!("{name} : aucun script de captures ne l'écrit"));
        }
        let text = read(&path);
        if !text.starts_with("$ ") {
            problems
                .push(format!("{name} : ne commence pas par la commande (`$ …`)"));
        }
    }
    let included: BTreeSet<String> = markdown_files()
        .iter()
        .flat_map(|page| includes_of(page))
        .map(|include| {
            let page_dir = include.page.parent().expect("une page a un dossier");
            normalize(&page_dir.join(&include.file))
                .to_string_lossy()
                .to_string()
        })
        .collect();
    for entry in std::fs::read_dir(&dir).expect("book/src/captures existe") {
        let path = normalize(&entry.expect("entrée lisible").path());
        if !included.contains(&path.to_string_lossy().to_string()) {
            problems.push(format!("{} : aucune page ne l'inclut", shown(&path)));
        }
    }
    assert!(
        problems.is_empty(),
        "captures du livre (à régénérer avec scripts/captures.sh \
         book/src/captures, ou scripts/client-plein-ecran.sh book/src/captures) \
         :\n  {}",
        problems.join("\n  ")
    );
}

/// Les figures d'une page : `![texte](fichier)` et `<img src="fichier">`, hors code.
fn figures_of(text: &str) -> Vec<(usize, String)> {
    let mut figures = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_inline_code(line);
        for piece in line.split("![").skip(1) {
            if let Some(target) = piece
                .split("](")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
            {
                figures.push((number, target.to_string()));
            }
        }
        for piece in line.split("<img").skip(1) {
            if let Some(target) = piece
                .split("src=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            {
                figures.push((number, target.to_string()));
            }
        }
    }
    figures
}

#[test]
fn chaque_figure_existe() {
    let mut missing = Vec::new();
    for page in markdown_files() {
        for (number, target) in figures_of(&read(&page)) {
            if target.starts_with("http") {
                continue;
            }
            let file = page.parent().expect("une page a un dossier").join(&target);
            if !file.is_file() {
                missing.push(format!("{}:{number} : {target}", shown(&page)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "figures absentes :\n  {}",
        missing.join("\n  ")
    );
}

/// Largeur maximale d'une figure dans son `viewBox` : la colonne de texte de mdBook
/// fait 750 px, marges comprises. Plus large, la figure serait réduite et son texte
/// deviendrait illisible.
const MAX_FIGURE_WIDTH: f64 = 720.0;

/// Les figures SVG du livre, dans `book/src/figures`.
fn svg_figures() -> Vec<PathBuf> {
    let dir = book_src().join("figures");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new(); // pas encore de figure : rien à vérifier
    };
    let mut figures: Vec<PathBuf> = entries
        .map(|entry| entry.expect("entrée de dossier illisible").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "svg"))
        .collect();
    figures.sort();
    figures
}

/// La valeur de l'attribut `name` dans une balise ouvrante
/// (`<svg … name="valeur" …>`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue; // `xviewBox` n'est pas `viewBox`
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        return value[1..].split(quote).next();
    }
    None
}

/// Les défauts d'une figure SVG écrite à la main, sans bibliothèque XML : un en-tête
/// `<svg` ou `<?xml`, une seule racine `<svg>` avec un `viewBox` d'au plus
/// [`MAX_FIGURE_WIDTH`] de large, des balises équilibrées, et rien d'extérieur (ni
/// script, ni police, ni image à télécharger : le livre se lit hors ligne, et un
/// `<img>` n'exécuterait de toute façon rien).
fn svg_problems(svg: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let text = svg.trim_start_matches('\u{feff}').trim_start();
    if !text.starts_with("<svg") && !text.starts_with("<?xml") {
        problems.push("ne commence ni par `<svg` ni par `<?xml`".to_string());
    }
    for forbidden in [
        "<script",
        "@import",
        "@font-face",
        "href=\"http",
        "url(http",
    ] {
        if text.contains(forbidden) {
            problems.push(format!(
                "contient `{forbidden}` : une figure ne charge rien"
            ));
        }
    }
    let mut open: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        // Commentaires, instructions (`<?xml`), CDATA et déclarations ne sont pas des
        // balises.
        let skipped = [
            ("<!--", "-->"),
            ("<?", "?>"),
            ("<![CDATA[", "]]>"),
            ("<!", ">"),
        ]
        .into_iter()
        .find(|(opening, _)| rest.starts_with(opening));
        if let Some((_, closing)) = skipped {
            match rest.find(closing) {
                Some(end) => rest = &rest[end + closing.len()..],
                None => {
                    problems.push(format!(
                        "`{}` jamais refermé",
                        &rest[..rest.len().min(20)]
                    ));
                    return problems;
                }
            }
            continue;
        }
        // La fin de la balise : le premier `>` hors des guillemets d'un attribut.
        let mut quote = None;
        let end = rest.char_indices().find_map(|(index, c)| {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if q == c => quote = None,
                (None, '>') => return Some(index),
                _ => {}
            }
            None
        });
        let Some(end) = end else {
            problems.push("une balise n'est jamais refermée par `>`".to_string());
            return problems;
        };
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        let name: String = tag
            .trim_start_matches("</")
            .trim_start_matches('<')
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
            .collect();
        if tag.starts_with("</") {
            match open.pop() {
                Some(expected) if expected == name => {}
                Some(expected) => {
                    problems.push(format!("`</{name}>` ferme `<{expected}>`"))
                }
                None => problems.push(format!("`</{name}>` ne ferme rien")),
            }
            continue;
        }
        if open.is_empty() {
            roots += 1;
            if name != "svg" {
                problems.push(format!("la racine est `<{name}>`, pas `<svg>`"));
            } else {
                match attribute(tag, "viewBox").map(|value| {
                    value
                        .split([' ', ','])
                        .filter(|part| !part.is_empty())
                        .map(str::parse::<f64>)
                        .collect::<Result<Vec<f64>, _>>()
                }) {
                    None => problems
                        .push("la racine `<svg>` n'a pas de `viewBox`".to_string()),
                    Some(Ok(numbers)) if numbers.len() == 4 => {
                        if !(numbers[2] > 0.0 && numbers[2] <= MAX_FIGURE_WIDTH) {
                            problems.push(format!(
                                "largeur du `viewBox` {} : au plus {MAX_FIGURE_WIDTH}",
                                numbers[2]
                            ));
                        }
                        if numbers[3] <= 0.0 {
                            problems.push("hauteur du `viewBox` nulle".to_string());
                        }
                    }
                    Some(_) => problems
                        .push("`viewBox` illisible (quatre nombres)".to_string()),
                }
            }
        }
        if !tag.ends_with("/>") {
            open.push(name);
        }
    }
    if let Some(unclosed) = open.last() {
        problems.push(format!("`<{unclosed}>` jamais fermé"));
    }
    if roots != 1 {
        problems.push(format!(
            "{roots} éléments racines au lieu d'un seul `<svg>`"
        ));
    }
    problems
}

#[test]
fn chaque_figure_svg_sert_a_une_page() {
    let used: BTreeSet<PathBuf> = markdown_files()
        .iter()
        .flat_map(|page| {
            let dir = page.parent().expect("une page a un dossier").to_path_buf();
            figures_of(&read(page))
                .into_iter()
                .map(move |(_, target)| normalize(&dir.join(target)))
        })
        .collect();
    let unused: Vec<String> = svg_figures()
        .iter()
        .filter(|figure| !used.contains(&normalize(figure)))
        .map(|figure| shown(figure))
        .collect();
    assert!(
        unused.is_empty(),
        "figures qu'aucune page n'affiche (`![texte](figures/nom.svg)`) :\n  {}",
        unused.join("\n  ")
    );
}

#[test]
fn chaque_figure_svg_est_bien_formee_et_tient_dans_la_page() {
    let mut problems = Vec::new();
    for figure in svg_figures() {
        for problem in svg_problems(&read(&figure)) {
            problems.push(format!("{} : {problem}", shown(&figure)));
        }
    }
    assert!(
        problems.is_empty(),
        "figures SVG à corriger :\n  {}",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Les outils de vérification eux-mêmes
// ---------------------------------------------------------------------------------------------

#[test]
fn les_identifiants_de_titres_suivent_mdbook() {
    assert_eq!(heading_id("Le 3-way handshake"), "le-3-way-handshake");
    assert_eq!(
        heading_id("`write` contre `write_all`"),
        "write-contre-write_all"
    );
    assert_eq!(heading_id("Étape 1 : socket()"), "étape-1--socket");
    assert_eq!(heading_id("Voir [la leçon](x.md) !"), "voir-la-leçon-");
    let ids = heading_ids("# A\n## A\n```\n# pas un titre\n```\n## B {#perso}\n");
    let expected: BTreeSet<String> = ["a", "a-1", "perso"].map(String::from).into();
    assert_eq!(
        ids, expected,
        "doublons numérotés, titres dans le code ignorés"
    );
}

#[test]
fn les_inclusions_et_les_ancres_sont_bien_reconnues() {
    let source =
        "// ANCHOR: listen\nfn listen() {}\n// ANCHOR_END: listen\n// ANCHOR: vide\n";
    assert!(has_anchor(source, "listen"), "ancre ouverte puis fermée");
    assert!(!has_anchor(source, "vide"), "ancre jamais fermée");
    assert!(!has_anchor(source, "list"), "un préfixe n'est pas l'ancre");
    let links =
        links_of("Voir [ici](a.md#b) et `[pas](un lien)`.\n```\n[non](c.md)\n```\n");
    assert_eq!(links, vec![(1, "a.md#b".to_string())]);
}

#[test]
fn les_motifs_des_captures_et_les_figures_sont_bien_reconnus() {
    assert!(matches_pattern("vie-connexion.txt", "vie-connexion.txt"));
    assert!(!matches_pattern("vie-connexion.txt", "vie-connexion2.txt"));
    assert!(matches_pattern(
        "threads-$lesson.txt",
        "threads-lesson03-threads.txt"
    ));
    assert!(matches_pattern("coupure-${mode}.txt", "coupure-rst.txt"));
    assert!(!matches_pattern("threads-$lesson.txt", "threads-.txt"));
    assert!(!matches_pattern("coupure-$mode.txt", "autre-rst.txt"));
    let figures = figures_of(
        "![la poignée](figures/a.svg)\n`![pas](une figure)`\n<img src=\"b.svg\">\n",
    );
    assert_eq!(
        figures,
        vec![(1, "figures/a.svg".to_string()), (3, "b.svg".to_string())]
    );
}

#[test]
fn le_controle_des_svg_reconnait_les_defauts() {
    let good = "<?xml version=\"1.0\"?>\n<!-- <pas une balise> -->\n<svg viewBox=\"0 0 720 100\" \
                xmlns=\"http://www.w3.org/2000/svg\"><style>text { fill: #000; }</style>\
                <g><text x=\"1\" title=\"a > b\">« x »</text><rect/></g></svg>\n";
    assert_eq!(svg_problems(good), Vec::<String>::new(), "figure correcte");
    let problems = |svg: &str| svg_problems(svg).join(" | ");
    assert!(problems("<svg viewBox=\"0 0 721 10\"></svg>").contains("largeur"));
    assert!(problems("<svg width=\"10\"></svg>").contains("pas de `viewBox`"));
    assert!(problems("<svg viewBox=\"0 0 10 10\"><g></svg>").contains("ferme `<g>`"));
    assert!(problems("<svg viewBox=\"0 0 10 10\"><g>").contains("jamais fermé"));
    assert!(
        problems("<svg viewBox=\"0 0 10 10\"></svg><svg viewBox=\"0 0 1 1\"/>")
            .contains("racines")
    );
    assert!(problems("<html></html>").contains("ne commence"));
    assert!(
        problems("<svg viewBox=\"0 0 10 10\"><script/></svg>").contains("<script")
    );
    assert_eq!(
        attribute("<svg xviewBox=\"1\" viewBox='0 0 5 5'>", "viewBox"),
        Some("0 0 5 5")
    );
}
