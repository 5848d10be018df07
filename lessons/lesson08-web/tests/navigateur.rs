//! Dans un VRAI navigateur : Chromium sans écran (headless), piloté par son
//! protocole DevTools (CDP), des messages JSON sur un WebSocket. La page choisit un
//! pseudo, parle avec un client TCP, affiche un message piégé comme du texte, et se
//! reconnecte quand le serveur revient. Une capture d'écran est écrite sous
//! `target/` (et dans le livre avec `scripts/navigateur.sh`).
//!
//! Sans Chromium, le test le dit et passe ; `LESSON08_NAVIGATEUR=obligatoire` (mis
//! par l'intégration continue du dépôt) le rend obligatoire.

mod common;

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{ReadLines, Tcp, TestServer, test_config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Chromium démarre lentement sur une machine chargée : une échéance à lui.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(30);
/// Au plus tant de messages du navigateur lus en attendant une réponse.
const MAX_MESSAGES: usize = 10_000;

/// Chromium, tué et son profil effacé à la fin du test, même en cas d'échec.
struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Lance Chromium sans écran et rend l'adresse de son WebSocket DevTools, qu'il
/// écrit sur sa sortie d'erreur (`DevTools listening on ws://…`). `Err` avec une
/// phrase française s'il ne peut pas tourner ici.
fn start_browser() -> Result<(Browser, String), String> {
    let program = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let profile = std::env::temp_dir()
        .join(format!("lesson08-chromium-{}", std::process::id()));
    let mut child = Command::new(&program)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(["--disable-dev-shm-usage", "--remote-debugging-port=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("« {program} » introuvable ({err})"))?;
    let stderr = child.stderr.take().expect("sortie d'erreur");
    let browser = Browser { child, profile };
    let (found, url) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                let _ = found.send(url.to_owned());
            }
        }
    });
    match url.recv_timeout(BROWSER_TIMEOUT) {
        Ok(url) => Ok((browser, url)),
        Err(_) => Err(format!(
            "{program} n'a pas annoncé son port DevTools à temps"
        )),
    }
}

/// Une session DevTools : des commandes numérotées, dont on attend la réponse.
struct Cdp {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    async fn connect(url: &str) -> io::Result<Cdp> {
        let connected =
            timeout(BROWSER_TIMEOUT, tokio_tungstenite::connect_async(url));
        let (socket, _) = connected.await?.map_err(io::Error::other)?;
        Ok(Cdp {
            socket,
            next_id: 1,
            session: None,
        })
    }

    /// Envoie `method` et rend son résultat ; les événements lus en chemin sont
    /// ignorés, sauf `event` s'il est donné (rendu dans `events`).
    async fn call(&mut self, method: &str, params: Value) -> io::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        let text = command.to_string();
        timeout(BROWSER_TIMEOUT, self.socket.send(Message::text(text)))
            .await?
            .map_err(io::Error::other)?;
        for _ in 0..MAX_MESSAGES {
            let reply = self.receive().await?;
            if reply["id"] == json!(id) {
                if let Some(error) = reply.get("error") {
                    return Err(io::Error::other(format!("{method} : {error}")));
                }
                return Ok(reply["result"].clone());
            }
        }
        Err(io::Error::other(format!("{method} : pas de réponse")))
    }

    /// Attend l'événement `method` (par exemple `Page.loadEventFired`) dont les
    /// paramètres vérifient `wanted`.
    async fn event(
        &mut self,
        method: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> io::Result<Value> {
        for _ in 0..MAX_MESSAGES {
            let message = self.receive().await?;
            if message["method"] == json!(method) && wanted(&message["params"]) {
                return Ok(message);
            }
        }
        Err(io::Error::other(format!("pas d'événement {method}")))
    }

    async fn receive(&mut self) -> io::Result<Value> {
        match timeout(BROWSER_TIMEOUT, self.socket.next()).await? {
            Some(Ok(Message::Text(text))) => {
                serde_json::from_str(&text).map_err(io::Error::other)
            }
            Some(Ok(_)) => Ok(Value::Null),
            Some(Err(err)) => Err(io::Error::other(err)),
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }

    /// Évalue `expression` dans la page ; une promesse est attendue.
    async fn eval(&mut self, expression: &str) -> io::Result<Value> {
        let params = json!({
            "expression": expression, "awaitPromise": true, "returnByValue": true,
        });
        let result = self.call("Runtime.evaluate", params).await?;
        if let Some(details) = result.get("exceptionDetails") {
            return Err(io::Error::other(format!("dans la page : {details}")));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Attend, DANS la page, que `condition` (du JavaScript) soit vraie : un
    /// `MutationObserver` la réévalue à chaque changement du document, sans
    /// sondage. Échoue après BROWSER_TIMEOUT en nommant `what`.
    async fn wait_for(&mut self, condition: &str, what: &str) -> io::Result<Value> {
        let limit = BROWSER_TIMEOUT.as_millis();
        let script = format!(
            "new Promise((resolve, reject) => {{
               const check = () => {{
                 const v = ({condition});
                 if (v) resolve(v);
                 return v;
               }};
               if (check()) return;
               const watch = new MutationObserver(() => {{
                 if (check()) watch.disconnect();
               }});
               watch.observe(document, {{ subtree: true, childList: true,
                                          characterData: true, attributes: true }});
               setTimeout(() => reject(new Error({what:?})), {limit});
             }})"
        );
        self.eval(&script).await
    }
}

/// Le serveur sur `web` (un port déjà choisi : la page doit le retrouver quand il
/// revient), et un salon sur un port libre.
async fn start_on(web: std::net::SocketAddr) -> io::Result<TestServer> {
    let config = lesson05_chat::Config {
        oper_password: Some("secret".into()),
        ..test_config()
    };
    common::start_on(web, config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dans_chromium_la_page_parle_au_salon_et_affiche_le_html_comme_du_texte()
-> io::Result<()> {
    let required =
        std::env::var("LESSON08_NAVIGATEUR").is_ok_and(|v| v == "obligatoire");
    let (_browser, devtools) = match start_browser() {
        Ok(started) => started,
        Err(why) if !required => {
            eprintln!(
                "Test du navigateur sauté : {why}. Installez Chromium \
                 (apt-get install chromium) pour le lancer."
            );
            return Ok(());
        }
        Err(why) => panic!("Chromium est exigé (LESSON08_NAVIGATEUR) : {why}"),
    };
    let server = start_on("127.0.0.1:0".parse().unwrap())
        .await
        .map_err(at(line!()))?;
    let web = server.web;
    let mut bob = Tcp::join(server.chat, "bob").await.map_err(at(line!()))?;
    bob.patience = BROWSER_TIMEOUT;

    // Un onglet, piloté par sa propre session DevTools.
    let mut cdp = Cdp::connect(&devtools).await.map_err(at(line!()))?;
    let target = cdp
        .call("Target.createTarget", json!({ "url": "about:blank" }))
        .await
        .map_err(at(line!()))?;
    let attach = json!({ "targetId": target["targetId"], "flatten": true });
    let attached = cdp
        .call("Target.attachToTarget", attach)
        .await
        .map_err(at(line!()))?;
    cdp.session = attached["sessionId"].as_str().map(str::to_owned);
    cdp.call("Page.enable", json!({}))
        .await
        .map_err(at(line!()))?;
    let size = json!({
        "width": 900, "height": 520, "deviceScaleFactor": 1, "mobile": false,
    });
    cdp.call("Emulation.setDeviceMetricsOverride", size)
        .await
        .map_err(at(line!()))?;
    let page = format!("http://{web}/");
    cdp.call("Page.navigate", json!({ "url": page }))
        .await
        .map_err(at(line!()))?;
    // L'onglet vient de charger about:blank : son événement « load » peut arriver
    // après `Page.enable`. On attend donc que le cadre soit passé à NOTRE page,
    // puis le « load » qui suit (les événements arrivent dans l'ordre).
    let ours = |params: &Value| params["frame"]["url"] == json!(page);
    cdp.event("Page.frameNavigated", ours)
        .await
        .map_err(at(line!()))?;
    cdp.event("Page.loadEventFired", |_| true)
        .await
        .map_err(at(line!()))?;

    // Le pseudo, tapé dans le formulaire comme le ferait l'étudiant.
    cdp.eval(
        "document.getElementById('nick').value = 'alice';
         document.getElementById('nick-form').requestSubmit(); true",
    )
    .await
    .map_err(at(line!()))?;
    bob.skip_until(|line| line == "*** alice a rejoint le salon.")
        .await
        .map_err(at(line!()))?;
    cdp.wait_for(
        "!document.getElementById('message-form').hidden",
        "inscription",
    )
    .await
    .map_err(at(line!()))?;

    // Du navigateur vers nc…
    cdp.eval(
        "document.getElementById('message').value = 'bonjour depuis Chromium';
         document.getElementById('message-form').requestSubmit(); true",
    )
    .await
    .map_err(at(line!()))?;
    assert_eq!(
        bob.line().await.map_err(at(line!()))?,
        "alice: bonjour depuis Chromium",
        "de la page vers nc"
    );

    // … et de nc vers le navigateur, avec un message piégé.
    let trap = "<img src=x onerror=\"document.title='pirate'\"> coucou";
    bob.send(trap).await.map_err(at(line!()))?;
    bob.send("/msg alice rien que pour toi")
        .await
        .map_err(at(line!()))?;
    let shown = cdp
        .wait_for(
            "[...document.querySelectorAll('#messages li.prive')]
               .map((li) => li.textContent).join('')",
            "le message privé",
        )
        .await
        .map_err(at(line!()))?;
    assert_eq!(shown, json!("bob: rien que pour toi"), "marqué privé");
    let texts = cdp
        .eval(
            "[...document.querySelectorAll('#messages li')]
               .map((li) => li.textContent)",
        )
        .await
        .map_err(at(line!()))?;
    let expected = json!(format!("bob: {trap}"));
    assert!(
        texts.as_array().is_some_and(|all| all.contains(&expected)),
        "le message piégé est affiché comme du texte : {texts}"
    );
    let images = cdp
        .eval("document.querySelectorAll('#messages img').length")
        .await
        .map_err(at(line!()))?;
    assert_eq!(images, json!(0), "aucune balise <img> n'a été créée");
    let title = cdp.eval("document.title").await.map_err(at(line!()))?;
    assert_eq!(
        title,
        json!("Salon « Réseau en Rust »"),
        "aucun script n'a tourné"
    );
    let nicks = cdp
        .wait_for(
            "(() => { const n = [...document.querySelectorAll('#nicks li')]
                        .map((li) => li.textContent).join(',');
                      return n === 'alice,bob' && n; })()",
            "la liste des connectés",
        )
        .await
        .map_err(at(line!()))?;
    assert_eq!(nicks, json!("alice,bob"), "la liste vient de /who");

    write_screenshot(&mut cdp).await.map_err(at(line!()))?;

    // Le serveur s'en va : la page le montre, puis se reconnecte quand il revient.
    server.stop().await.map_err(at(line!()))?;
    cdp.wait_for(
        "document.getElementById('state').dataset.state === 'hors-ligne'
         && document.getElementById('state').textContent.includes('nouvel essai')",
        "l'état « déconnecté »",
    )
    .await
    .map_err(at(line!()))?;
    let again = start_on(web).await.map_err(at(line!()))?;
    cdp.wait_for(
        // DEUX bienvenues : celle du premier serveur est encore à l'écran.
        "[...document.querySelectorAll('#messages li')]
           .filter((li) => li.textContent.startsWith('*** Bienvenue, alice !'))
           .length === 2",
        "la reconnexion, sous le même pseudo",
    )
    .await
    .map_err(at(line!()))?;

    // Expulsée par un opérateur, la page ne revient pas d'elle-même.
    let mut oper = Tcp::join(again.chat, "bob").await.map_err(at(line!()))?;
    oper.patience = BROWSER_TIMEOUT;
    oper.send("/oper secret").await.map_err(at(line!()))?;
    oper.skip_until(|line| line.starts_with("*** Vous êtes maintenant opérateur"))
        .await
        .map_err(at(line!()))?;
    oper.send("/kill alice assez").await.map_err(at(line!()))?;
    oper.skip_until(|line| line.starts_with("*** alice a été expulsé(e)"))
        .await
        .map_err(at(line!()))?;
    let state = cdp
        .wait_for(
            "document.getElementById('state').dataset.state === 'hors-ligne'
             && document.getElementById('state').textContent",
            "l'état après l'expulsion",
        )
        .await
        .map_err(at(line!()))?;
    assert_eq!(
        state,
        json!("Déconnecté"),
        "pas de nouvel essai après /kill"
    );
    again.stop().await
}

/// Ajoute à une erreur la ligne du test où elle s'est produite.
fn at(line: u32) -> impl FnOnce(io::Error) -> io::Error {
    move |err| io::Error::other(format!("navigateur.rs, ligne {line} : {err}"))
}

/// `Page.captureScreenshot` rend un PNG en base64 : il est écrit sous `target/`, et
/// copié là où `LESSON08_CAPTURE` le demande (le script du livre).
async fn write_screenshot(cdp: &mut Cdp) -> io::Result<()> {
    let shot = cdp
        .call("Page.captureScreenshot", json!({ "format": "png" }))
        .await?;
    let png = decode_base64(shot["data"].as_str().unwrap_or_default());
    assert!(png.starts_with(b"\x89PNG"), "une image PNG");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    std::fs::create_dir_all(&target)?;
    std::fs::write(target.join("lecon08-navigateur.png"), &png)?;
    if let Ok(path) = std::env::var("LESSON08_CAPTURE") {
        std::fs::write(path, &png)?;
    }
    Ok(())
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for digit in text
        .bytes()
        .filter_map(|c| ALPHABET.iter().position(|&a| a == c))
    {
        bits = (bits << 6) | digit as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    bytes
}
