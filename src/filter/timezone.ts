/**
 * Time zones as fail2ban understands them in log lines (`%z`, `%Z`) and in
 * `logtimezone`: `Z`/`UTC`/`GMT`, offsets `+hh`, `+hhmm`, `+hh:mm`, and
 * zone abbreviations with fixed offsets (optionally followed by an offset,
 * `CET+0100`). No DST switching, as in fail2ban.
 */

/** Offset in hours → abbreviations (fail2ban's table of fixed zone abbreviations). */
const ABBREVIATIONS: ReadonlyArray<readonly [number, string]> = [
  [-12, 'Y'], [-11, 'X NUT SST'], [-10, 'W CKT HAST HST TAHT TKT'], [-9, 'V AKST GAMT GIT HADT HNY'],
  [-8, 'U AKDT CIST HAY HNP PST PT'], [-7, 'T HAP HNR MST PDT'], [-6, 'S CST EAST GALT HAR HNC MDT'],
  [-5, 'R CDT COT EASST ECT EST ET HAC HNE PET'], [-4, 'Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT'],
  [-3, 'P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT'], [-2, 'O BRST FNT PMDT UYST WGST'],
  [-1, 'N AZOT CVT EGT'], [0, 'Z EGST GMT UTC WET WT'], [1, 'A CET DFT WAT WEDT WEST'],
  [2, 'B CAT CEDT CEST EET SAST WAST'], [3, 'C EAT EEDT EEST IDT MSK'],
  [4, 'D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT'], [5, 'E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT'],
  [6, 'F ALMT BIOT BTT IOT KGT NOVT OMST YEKST'], [7, 'G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB'],
  [8, 'H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST'], [9, 'I AWDT IRKST JST KST PWT TLT WDT WIT YAKT'],
  [10, 'K AEST ChST PGT VLAT YAKST YAPT'], [11, 'L AEDT LHDT MAGT NCT PONT SBT VLAST VUT'],
  [12, 'M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT'], [13, 'FJST NZDT'], [11.5, 'NFT'],
  [10.5, 'ACDT LHST'], [9.5, 'ACST'], [6.5, 'CCT MMT'], [5.75, 'NPT'], [5.5, 'SLT'], [4.5, 'AFT IRDT'],
  [3.5, 'IRST'], [-2.5, 'HAT NDT'], [-3.5, 'HNT NST NT'], [-4.5, 'HLV VET'], [-9.5, 'MART MIT'],
];

const OFFSETS: ReadonlyMap<string, number> = new Map(
  ABBREVIATIONS.flatMap(([hours, names]) => names.split(' ').map((n) => [n, Math.round(hours * 60)] as const)),
);

const ZONE = /^([A-Za-z]{1,5})?(?:([+-])(\d\d)(?::?(\d\d))?)?$/;

/** Offset east of UTC in minutes for a zone text, or null if it is not one fail2ban knows. */
export function zoneOffset(text: string): number | null {
  const m = ZONE.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  const [, abbr, sign, hh, mm] = m;
  let base = 0;
  if (abbr !== undefined) {
    const known = OFFSETS.get(abbr) ?? OFFSETS.get(abbr.toUpperCase());
    if (known === undefined) return null;
    base = known;
  }
  if (sign === undefined) return base;
  const minutes = Number(hh) * 60 + Number(mm ?? 0);
  if (Number(hh) > 19 || Number(mm ?? 0) > 59) return null;
  return base + (sign === '-' ? -minutes : minutes);
}
