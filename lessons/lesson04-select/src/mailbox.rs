//! Le courrier d'un participant du chat : les lignes des autres que le noyau n'a pas
//! encore acceptées, et leur poids en octets.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, IoSlice, Write};
use std::rc::Rc;

/// Ce que coûte chaque ligne en attente, en plus de ses octets : la place de sa fiche
/// dans la file (un pointeur et une longueur) et le compteur de partage. Compter
/// aussi ce coût fixe empêche un client d'accumuler des millions de lignes d'un octet
/// « presque gratuites ».
pub(crate) const LINE_OVERHEAD: usize = 32;

/// Au plus autant de lignes par appel à `write_vectored` (la limite `IOV_MAX` des
/// systèmes est bien plus haute, 1024 sous Linux ; 64 lignes suffisent à remplir le
/// tampon d'envoi).
const SLICES_PER_WRITE: usize = 64;

// ANCHOR: mailbox
/// Les lignes qui attendent d'être acceptées par le noyau pour UN destinataire.
///
/// Une ligne diffusée est mise en forme une seule fois, puis PARTAGÉE : chaque
/// courrier ne garde qu'un `Rc` vers elle (un compteur de références, suffisant sur
/// un seul thread ; il faudrait un `Arc` entre threads). Cent destinataires ne font
/// pas cent copies.
///
/// Son poids, `cost`, est compté en octets : `len + LINE_OVERHEAD` par ligne, tant
/// que le noyau ne l'a pas entièrement acceptée. C'est ce poids, et non un nombre de
/// lignes, qui décide qu'un destinataire ne suit plus : cent petites lignes ne pèsent
/// pas une grande.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    lines: VecDeque<Rc<[u8]>>,
    /// Octets de la première ligne déjà acceptés par le noyau.
    sent: usize,
    cost: usize,
}

/// Ce qu'a donné une tentative d'envoi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Tout est parti : le courrier est vide.
    Drained,
    /// Le noyau a refusé la suite (`WouldBlock`) : son tampon d'envoi est plein,
    /// parce que le destinataire ne lit pas assez vite. Il faudra attendre
    /// l'événement WRITABLE.
    Blocked,
}

impl Mailbox {
    /// Le poids du courrier, en octets (voir plus haut).
    pub(crate) fn cost(&self) -> usize {
        self.cost
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Ajoute une ligne partagée (quelques octets : on copie le pointeur, pas la
    /// ligne).
    pub(crate) fn push(&mut self, line: Rc<[u8]>) {
        self.cost += line.len() + LINE_OVERHEAD;
        self.lines.push_back(line);
    }

    /// Envoie le plus possible, jusqu'à tout vider ou jusqu'au refus du noyau.
    ///
    /// `write_vectored` (`writev` sous Unix) envoie plusieurs lignes en UN appel
    /// système, sans les recopier bout à bout : ce qui est arrivé pendant un tour
    /// part d'un coup.
    pub(crate) fn write_to(
        &mut self,
        stream: &mut impl Write,
    ) -> io::Result<Progress> {
        while !self.is_empty() {
            let mut slices =
                Vec::with_capacity(SLICES_PER_WRITE.min(self.lines.len()));
            for (index, line) in self.lines.iter().take(SLICES_PER_WRITE).enumerate()
            {
                let start = if index == 0 { self.sent } else { 0 };
                slices.push(IoSlice::new(&line[start..]));
            }
            match stream.write_vectored(&slices) {
                // Le noyau n'a rien pris alors qu'on lui donnait des octets :
                // connexion morte.
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(written) => self.consume(written),
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    return Ok(Progress::Blocked);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        // Tout est parti : on rend la mémoire de la file. Mille clients qui ont reçu
        // une rafale ne gardent pas chacun une file de milliers de places
        // vides.
        *self = Mailbox::default();
        Ok(Progress::Drained)
    }

    /// Retire du courrier les `written` octets que le noyau vient d'accepter.
    fn consume(&mut self, mut written: usize) {
        while written > 0 {
            let Some(front) = self.lines.front() else {
                return;
            };
            let remaining = front.len() - self.sent;
            if written < remaining {
                self.sent += written;
                self.cost -= written;
                return;
            }
            written -= remaining;
            self.cost -= remaining + LINE_OVERHEAD;
            self.sent = 0;
            self.lines.pop_front();
        }
    }
}
// ANCHOR_END: mailbox
