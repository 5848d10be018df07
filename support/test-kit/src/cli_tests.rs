//! Les tests du programme que chaque leçon passe, écrits une seule fois.

/// Écrit, dans le fichier de tests qui l'appelle, les tests du programme que passe
/// chaque leçon du cours, sous leurs noms habituels :
///
/// - `help: [mots…]` donne `l_aide_est_en_francais` : `PROGRAMME --help` réussit
///   et son aide cite chacun des mots (voir [`assert_help_mentions`]) ;
/// - `help_of_each_command: [[arguments…] => [mots…], …]` donne
///   `l_aide_est_en_francais_pour_chaque_commande`, la même vérification pour
///   chaque ligne de commande (`["chat", "--help"]`…) d'un programme qui en a
///   plusieurs ;
/// - `servers: [[arguments…], …]` donne
///   `un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur` : chaque
///   commande serveur, lancée sur une adresse déjà prise, échoue en une phrase
///   française, sans paniquer (voir [`assert_addr_in_use_is_explained`]) ;
/// - `clients: [[arguments…], …]` donne
///   `une_connexion_refusee_donne_un_message_francais` : chaque commande client,
///   lancée vers une adresse où personne n'écoute, échoue de même (voir
///   [`assert_refusal_is_explained`]).
///
/// Chaque partie est facultative, mais leur ordre est celui-ci. Pourquoi ces tests
/// partout ? L'aide est ce qu'un étudiant lit d'abord d'un programme, et « adresse
/// déjà utilisée » et « connexion refusée » sont les deux erreurs réseau qu'il
/// rencontre en premier (un serveur déjà lancé dans un autre terminal, un client
/// lancé avant son serveur) : chaque programme doit les expliquer en français, en
/// une phrase, jamais par une panique en anglais.
///
/// Par exemple, pour la leçon 01 (où `PROGRAM` vaut
/// `env!("CARGO_BIN_EXE_lesson01-echo")`, le chemin du programme que Cargo vient de
/// construire) :
///
/// ```
/// # const PROGRAM: &str = "lesson01-echo";
/// test_kit::french_cli_tests! {
///     program: PROGRAM,
///     help: ["Utilisation", "serveur", "client", "--addr"],
///     servers: [["server"]],
///     clients: [["client"]],
/// }
/// ```
///
/// [`assert_help_mentions`]: crate::assert_help_mentions
/// [`assert_addr_in_use_is_explained`]: crate::assert_addr_in_use_is_explained
/// [`assert_refusal_is_explained`]: crate::assert_refusal_is_explained
#[macro_export]
macro_rules! french_cli_tests {
    (
        program: $program:expr,
        $(help: [$($word:expr),* $(,)?],)?
        $(help_of_each_command: [
            $([$($command:expr),*] => [$($command_word:expr),* $(,)?]),* $(,)?
        ],)?
        $(servers: [$([$($server:expr),*]),* $(,)?],)?
        $(clients: [$([$($client:expr),*]),* $(,)?],)?
    ) => {
        $(
            #[test]
            fn l_aide_est_en_francais() -> ::std::io::Result<()> {
                $crate::assert_help_mentions($program, &["--help"], &[$($word),*])?;
                Ok(())
            }
        )?
        $(
            #[test]
            fn l_aide_est_en_francais_pour_chaque_commande()
            -> ::std::io::Result<()> {
                $(
                    $crate::assert_help_mentions(
                        $program,
                        &[$($command),*],
                        &[$($command_word),*],
                    )?;
                )*
                Ok(())
            }
        )?
        $(
            #[test]
            fn un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur()
            -> ::std::io::Result<()> {
                $(
                    $crate::assert_addr_in_use_is_explained(
                        $program,
                        &[$($server),*],
                    )?;
                )*
                Ok(())
            }
        )?
        $(
            #[test]
            fn une_connexion_refusee_donne_un_message_francais()
            -> ::std::io::Result<()> {
                $(
                    $crate::assert_refusal_is_explained($program, &[$($client),*])?;
                )*
                Ok(())
            }
        )?
    };
}
