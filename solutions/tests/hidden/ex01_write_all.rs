//! Tests cachés de l'exercice 01.

use std::io::ErrorKind;

use exercises::ex01_write_all::write_all;

use crate::common::*;

fn un_octet_a_la_fois() -> std::io::Result<()> {
    let data = pattern(5000);
    let mut writer = ChunkedWriter::new(1).interrupting(3).strict();
    write_all(&mut writer, &data)?;
    assert!(
        writer.written == data,
        "5000 écritures d'un octet, avec des interruptions"
    );
    Ok(())
}

fn zero_octet_des_le_premier_appel() -> std::io::Result<()> {
    let mut writer = ChunkedWriter::new(8).full_after(0, None).strict();
    let err = write_all(&mut writer, b"x").expect_err("le premier write() rend Ok(0)");
    assert_eq!(
        err.kind(),
        ErrorKind::WriteZero,
        "ErrorKind::WriteZero dès le premier appel"
    );
    Ok(())
}

fn pas_d_ecriture_en_trop() -> std::io::Result<()> {
    let mut writer = ChunkedWriter::new(10).strict();
    write_all(&mut writer, &pattern(30))?;
    assert_eq!(
        writer.writes, 3,
        "30 octets par 10 : exactement 3 appels à write()"
    );
    Ok(())
}

tests![
    un_octet_a_la_fois,
    zero_octet_des_le_premier_appel,
    pas_d_ecriture_en_trop
];
