//! Le hub : le seul thread qui possède la liste des clients du chat.

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use course_kit::log;
use crossbeam_channel::Receiver;

use crate::chat::{
    FLUSH_TIMEOUT, SHUTDOWN_NOTICE, joined_notice, left_notice, slow_notice,
    welcome_notice,
};
use crate::outbox::{Line, Outbox, Pushed};

/// Identifiant d'un client, attribué par la boucle d'accept. L'adresse ne suffirait
/// pas : un client parti puis revenu peut retrouver le même port.
pub type ClientId = u64;

/// Ce que les autres threads disent au hub.
pub enum Event {
    /// Un client arrive : son adresse, sa file d'envoi, sa socket (pour pouvoir la
    /// couper).
    Join { id: ClientId, member: Member },
    /// Un message à diffuser à tous les autres (déjà nettoyé, découpé et préfixé).
    Say { id: ClientId, line: Line },
    /// Une ligne pour ce client seulement (un avis : ligne trop longue,
    /// « Doucement ! »).
    Notice { id: ClientId, line: Line },
    /// Le client est parti (ou sa connexion est rompue).
    Leave { id: ClientId },
    /// Son écrivain a constaté que sa socket reste engorgée au-delà du budget.
    TooSlow { id: ClientId },
    /// Le serveur s'arrête.
    Shutdown,
}

// ANCHOR: hub
/// Le seul propriétaire de la liste des clients. Aucun verrou : personne d'autre n'y
/// accède.
#[derive(Default)]
pub struct Hub {
    members: HashMap<ClientId, Member>,
}

pub struct Member {
    pub addr: SocketAddr,
    pub outbox: Arc<Outbox>,
    pub stream: Arc<TcpStream>,
}

impl Hub {
    /// Traite les événements un par un, dans l'ordre d'arrivée : deux lignes ne sont
    /// jamais diffusées « en même temps », et la liste est toujours à jour.
    ///
    /// Le hub n'attend JAMAIS un client : déposer une ligne dans une file ne bloque
    /// pas ([`Outbox::push`]). Cent clients qui ne lisent plus ne retardent pas
    /// d'une microseconde une ligne entre deux clients qui lisent.
    pub fn run(mut self, inbox: Receiver<Event>) {
        for event in inbox {
            match event {
                Event::Join { id, member } => self.join(id, member),
                Event::Say { id, line } => self.broadcast(Some(id), line),
                Event::Notice { id, line } => self.send_to(id, line),
                Event::Leave { id } => self.leave(id),
                Event::TooSlow { id } => self.deliver(Vec::new(), vec![id]),
                Event::Shutdown => return self.shutdown(),
            }
        }
    }

    fn join(&mut self, id: ClientId, member: Member) {
        let addr = member.addr;
        let others = self.members.len();
        self.members.insert(id, member);
        self.send_to(id, welcome_notice(addr, others).into());
        self.broadcast(Some(id), joined_notice(addr).into());
    }

    fn leave(&mut self, id: ClientId) {
        // Absent de la liste s'il a déjà été déconnecté pour lenteur : pas de second
        // avis.
        if let Some(member) = self.members.remove(&id) {
            member.outbox.close(); // son écrivain envoie ce qui reste, puis ferme
            self.broadcast(None, left_notice(member.addr).into());
        }
    }

    /// Envoie une ligne à un seul client.
    fn send_to(&mut self, id: ClientId, line: Line) {
        let pushed = match self.members.get(&id) {
            Some(member) => member.outbox.push(line),
            None => Pushed::Queued,
        };
        if pushed == Pushed::TooSlow {
            self.deliver(Vec::new(), vec![id]);
        }
    }

    /// Envoie une ligne à tous, sauf à `except` (l'auteur de la ligne).
    fn broadcast(&mut self, except: Option<ClientId>, line: Line) {
        self.deliver(vec![(except, line)], Vec::new());
    }

    /// Diffuse les lignes de `pending` ; chaque client trop lent est déconnecté, ce
    /// qui produit un nouvel avis à diffuser. Une liste de travail plutôt qu'une
    /// récursion : même avec des milliers de clients lents d'un coup, la pile du
    /// hub ne grandit pas.
    fn deliver(
        &mut self,
        pending: Vec<(Option<ClientId>, Line)>,
        slow: Vec<ClientId>,
    ) {
        let mut pending = VecDeque::from(pending);
        let mut slow = slow;
        loop {
            for id in slow.drain(..) {
                if let Some(notice) = self.disconnect_slow(id) {
                    pending.push_back((None, notice));
                }
            }
            let Some((except, line)) = pending.pop_front() else {
                return;
            };
            for (&id, member) in &self.members {
                // `Line::clone` copie un pointeur, pas le texte.
                if Some(id) != except
                    && member.outbox.push(Line::clone(&line)) == Pushed::TooSlow
                {
                    slow.push(id);
                }
            }
        }
    }

    /// Retire un client trop lent ; renvoie l'avis à diffuser aux autres (une seule
    /// fois : un client déjà retiré ne produit rien).
    fn disconnect_slow(&mut self, id: ClientId) -> Option<Line> {
        let member = self.members.remove(&id)?;
        member.outbox.close();
        // shutdown() agit sur la connexion elle-même, donc sur toutes ses poignées :
        // le lecteur lit 0 octet, l'écrivain échoue sur sa prochaine
        // écriture. Les deux threads se terminent seuls. Le client lui-même
        // ne reçoit rien de plus : il ne lit pas.
        let _ = member.stream.shutdown(Shutdown::Both);
        log!("Client {} trop lent : déconnecté.", member.addr);
        Some(slow_notice(member.addr).into())
    }

    /// L'arrêt : chacun reçoit l'avis, son écrivain vide sa file (au plus
    /// FLUSH_TIMEOUT) puis ferme la connexion par un FIN. Le hub s'arrête
    /// ensuite ; les lecteurs, qui ne peuvent plus lui parler, s'arrêtent
    /// d'eux-mêmes.
    fn shutdown(self) {
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        for member in self.members.values() {
            member.outbox.close_with(SHUTDOWN_NOTICE.into(), deadline);
        }
    }
}
// ANCHOR_END: hub
