// Le client du salon dans le navigateur. La page ne connaît du salon que son
// protocole (leçon 05) : elle envoie une ligne par message WebSocket (la première
// est le pseudo, comme dans nc) et affiche chaque ligne reçue. Tout le texte est
// inséré avec `textContent` : un message `<img src=x onerror=…>` s'affiche tel
// quel, le navigateur ne l'interprète jamais comme du HTML.
'use strict';

const messages = document.getElementById('messages');
const nickList = document.getElementById('nicks');
const state = document.getElementById('state');
const nickForm = document.getElementById('nick-form');
const messageForm = document.getElementById('message-form');
const nickInput = document.getElementById('nick');
const messageInput = document.getElementById('message');

/** Au plus tant de lignes gardées à l'écran : la page ne grossit pas sans fin. */
const SCROLLBACK = 1000;
/** Les notices qui changent la liste des connectés : la page redemande /who. */
const MEMBERSHIP = new RegExp([
  ' a rejoint le salon', ' a quitté le salon', " s'est déconnecté",
  " s'appelle désormais ", ' a été expulsé', ' ne lisait plus ', ' est parti',
].join('|'));
const RENAMED = /^\*\*\* (\S+) s'appelle désormais (\S+)\.$/;
const FINAL = /^\*\*\* (Vous avez été expulsé|Au revoir, )/;
const WHO = /^\*\*\* Connectés \((\d+)\) : (.*)$/;

let socket = null;
let nick = '';          // le pseudo choisi, redonné à chaque reconnexion
let registered = false; // vrai après « *** Bienvenue »
let leaving = false;    // l'utilisateur a tapé /quit : pas de reconnexion
let retries = 0;
let autoWho = 0;        // réponses à /who demandées par la page (non affichées)
let who = null;         // la liste en cours de lecture : { count, names, shown }

// ANCHOR: connect
function connect() {
  setState('connexion', 'Connexion…');
  // Le WebSocket vient du même serveur que la page : http://127.0.0.1:8080
  // devient ws://127.0.0.1:8080/ws.
  socket = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
  socket.onopen = () => {
    retries = 0;
    setState('connecte', 'Connecté');
    if (nick) socket.send(nick); // la première ligne est le pseudo
  };
  socket.onmessage = (event) => receive(event.data);
  socket.onclose = (event) => {
    registered = false;
    showForms();
    if (event.reason) show('*** Fermeture : ' + event.reason, 'notice');
    if (leaving) return setState('hors-ligne', 'Déconnecté');
    // Le serveur est parti : on réessaie, de plus en plus lentement (10 s au plus).
    const delay = Math.min(10, 2 ** retries++);
    setState('hors-ligne', `Déconnecté : nouvel essai dans ${delay} s`);
    setTimeout(connect, delay * 1000);
  };
}
// ANCHOR_END: connect

// ANCHOR: receive
/** Une ligne du salon : sa forme dit ce qu'elle est (voir la leçon 05). */
function receive(line) {
  if (line.startsWith('*** Bienvenue')) {
    registered = true;
    showForms();
    askWho();
  }
  if (readWho(line)) return;
  if (line.startsWith('*** ')) {
    // Expulsé, ou parti avec /quit : la page ne revient pas d'elle-même (sinon une
    // expulsion ne durerait qu'une seconde).
    if (FINAL.test(line)) leaving = true;
    const renamed = RENAMED.exec(line);
    if (renamed && renamed[1] === nick) nick = renamed[2]; // pour la reconnexion
    if (registered && MEMBERSHIP.test(line)) askWho();
    show(line, 'notice');
  } else if (line.startsWith('[privé] ')) {
    showMessage(line.slice('[privé] '.length), 'prive');
  } else if (line.startsWith('[il y a ')) {
    show(line, 'historique');
  } else {
    showMessage(line, 'public');
  }
}

/** Ajoute une ligne à la liste, comme TEXTE. */
function show(text, kind) {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = text;
  append(item);
}

/** « alice: texte » : le pseudo en gras, puis le texte, tous deux comme TEXTE. */
function showMessage(line, kind) {
  const colon = line.indexOf(': ');
  if (colon < 0) return show(line, kind);
  const item = document.createElement('li');
  item.className = kind;
  const author = document.createElement('span');
  author.className = 'auteur';
  author.textContent = line.slice(0, colon + 1);
  item.append(author, ' ' + line.slice(colon + 2));
  append(item);
}
// ANCHOR_END: receive

function append(item) {
  const atBottom =
    messages.scrollTop + messages.clientHeight >= messages.scrollHeight - 4;
  messages.append(item);
  while (messages.children.length > SCROLLBACK) messages.firstChild.remove();
  // On suit les nouveaux messages, sauf si l'utilisateur relit plus haut.
  if (atBottom) messages.scrollTop = messages.scrollHeight;
}

/** La liste des connectés : `/who`, dont la réponse peut tenir sur plusieurs
 *  lignes (« *** Connectés (3) : alice, bob, » puis « *** carole »). */
function askWho() {
  autoWho++;
  socket.send('/who');
}

function readWho(line) {
  const first = WHO.exec(line);
  if (first) {
    const shown = autoWho === 0;
    if (!shown) autoWho--;
    who = { count: Number(first[1]), names: [], shown };
    addNames(first[2]);
  } else if (who && line.startsWith('*** ')) {
    addNames(line.slice(4));
  } else {
    return false;
  }
  const done = who;
  if (done.names.length >= done.count) {
    who = null;
    nickList.replaceChildren(...done.names.map((name) => {
      const item = document.createElement('li');
      item.textContent = name;
      return item;
    }));
  }
  if (done.shown) show(line, 'notice');
  return true;
}

function addNames(text) {
  who.names.push(...text.split(',').map((name) => name.trim()).filter(Boolean));
}

function setState(name, text) {
  state.dataset.state = name;
  state.textContent = text;
}

function showForms() {
  nickForm.hidden = registered;
  messageForm.hidden = !registered;
  (registered ? messageInput : nickInput).focus();
}

nickForm.addEventListener('submit', (event) => {
  event.preventDefault();
  nick = nickInput.value.trim();
  if (!nick) return;
  leaving = false;
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(nick);
  else if (!socket || socket.readyState === WebSocket.CLOSED) connect();
});

// ANCHOR: send
messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const line = messageInput.value;
  if (!line.trim() || socket.readyState !== WebSocket.OPEN) return;
  socket.send(line); // une ligne, un message WebSocket
  messageInput.value = '';
  const command = line.trim().split(' ')[0].toLowerCase();
  if (command === '/quit' || command === 'exit') leaving = true;
  // Le salon ne renvoie pas à son auteur un message public : on l'affiche ici.
  if (!line.startsWith('/')) showMessage(`${nick}: ${line}`, 'moi');
  else if (line.startsWith('//')) showMessage(`${nick}: ${line.slice(1)}`, 'moi');
});
// ANCHOR_END: send
