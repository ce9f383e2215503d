/**
 * Every word the page shows, by language. `en` defines the keys; every other catalog is typed
 * `Catalog`, so a missing or extra key is a type error, and `test/i18n.test.ts` checks that no
 * text is empty. Adding a language is adding a catalog here and its entry in `catalogs`.
 *
 * The page's markup names its static texts by key (`data-i18n="key"`); the rest is set by
 * `main.ts`. The case codes file is not here: it keeps the command-line tool's English format so
 * `quell case status --case-file` reads it whatever the page's language.
 */

import type { MediaCounts as Files } from "./registry";

/** Joins the non-empty phrases as a list is said: "a", "a and b", "a, b and c". */
function spokenList(parts: string[], and: string): string {
  const said = parts.filter((p) => p !== "");
  return said.length < 2 ? (said[0] ?? "") : `${said.slice(0, -1).join(", ")} ${and} ${said[said.length - 1]}`;
}

/** How long to wait, rounded the way a person would say it. */
export type Wait = { unit: "minute" } | { unit: "minutes"; n: number } | { unit: "hours"; n: number };

/** Seconds (from a `Retry-After` header) as a rough wait: "about 6 minutes", not "344 s". */
export function roughWait(seconds: number): Wait {
  if (seconds <= 60) return { unit: "minute" };
  if (seconds < 90 * 60) return { unit: "minutes", n: Math.ceil(seconds / 60) };
  return { unit: "hours", n: Math.round(seconds / 3600) };
}

/**
 * A time span as a person says it: to the minute under three days ("5 hours and 3 minutes"),
 * to the hour beyond ("4 days and 2 hours"). Whole units only, rounded down, so that a judgement
 * made on it (`durationHours`) always agrees with the words shown.
 */
export type Duration = { days: number; hours: number; minutes: number };

export function humanDuration(ms: number): Duration {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 72 * 60) return { days: 0, hours: Math.floor(minutes / 60), minutes: minutes % 60 };
  const hours = Math.floor(minutes / 60);
  return { days: Math.floor(hours / 24), hours: hours % 24, minutes: 0 };
}

export function durationHours(d: Duration): number {
  return d.days * 24 + d.hours + d.minutes / 60;
}

/** What a platform reported about a possible copy (the registry's outcome codes). */
export type Outcome = "blocked" | "under_review" | "not_actioned";

/** A duration in words from its units' names, singular and plural, and the word for "and". */
function sayDuration(d: Duration, names: Record<keyof Duration, [string, string]>, and: string, underMinute: string): string {
  const parts = (["days", "hours", "minutes"] as const)
    .filter((unit) => d[unit] > 0)
    .map((unit) => `${d[unit]} ${names[unit][d[unit] === 1 ? 0 : 1]}`);
  return parts.length === 0 ? underMinute : parts.join(` ${and} `);
}

const enDuration = (d: Duration) =>
  sayDuration(d, { days: ["day", "days"], hours: ["hour", "hours"], minutes: ["minute", "minutes"] }, "and", "less than a minute");
const esDuration = (d: Duration) =>
  sayDuration(d, { days: ["día", "días"], hours: ["hora", "horas"], minutes: ["minuto", "minutos"] }, "y", "menos de un minuto");

const enFiles = (m: Files) =>
  spokenList(
    [
      m.photos ? `${m.photos} photo${m.photos === 1 ? "" : "s"}` : "",
      m.videos ? `${m.videos} video${m.videos === 1 ? "" : "s"}` : "",
      m.other ? `${m.other} other file${m.other === 1 ? "" : "s"}` : "",
    ],
    "and",
  );
const esFiles = (m: Files) =>
  spokenList(
    [
      m.photos ? `${m.photos} ${m.photos === 1 ? "foto" : "fotos"}` : "",
      m.videos ? `${m.videos} ${m.videos === 1 ? "vídeo" : "vídeos"}` : "",
      m.other ? `${m.other} ${m.other === 1 ? "archivo más" : "archivos más"}` : "",
    ],
    "y",
  );

const en = {
  languageName: "English",
  languageLabel: "Language",
  title: "Quell: help stop intimate images of you from being shared",
  skip: "Skip to the page",
  heading: "Stop intimate images of you from being shared",
  lead: "Your photos and videos stay on this device. Only fingerprints of them are sent: short codes made from them.",
  leadPlatforms: "Platforms that take part use the fingerprints to find copies and stop them.",

  chooseTitle: "1. Choose photos and videos",
  chooseStep: "Pick the ones you are worried about. Nothing is sent yet.",
  chooseButton: "Choose photos or videos",
  addMore: (n: number) => `Add more (${n} chosen)`,
  dropHint: "Or drop them here.",
  filesHelp: "Which files work?",
  filesHelpPhotos:
    "Photos (JPEG, PNG, GIF, WebP, BMP, TIFF) get a PDQ fingerprint, which also matches resized or lightly edited " +
    "copies; about 110 more PDQ fingerprints of the photo's crops, edges and tilts, so that cropped, framed, " +
    "captioned and screenshotted copies are found too; and MD5 and SHA-256 fingerprints, which match exact copies. " +
    "Each is a short code made from the photo on this device.",
  filesHelpVideos:
    "MP4 and MOV videos in H.264, the usual format, get a vPDQ fingerprint on this device, so re-encoded, cut or " +
    "resized copies can be found. A long video takes a while; up to about an hour of video works.",
  filesHelpOther:
    "Other videos and files, and photos this browser cannot open (such as some HEIC photos), get MD5 and SHA-256 " +
    "only, so exact copies are found. The quell command-line tool (quell case open) fingerprints them fully on " +
    "a computer.",
  listTitle: "Your photos and videos",
  unnamed: "unnamed file",
  remove: "Remove",
  hashing: "Making the fingerprint…",
  videoProgress: (percent: number) => `Making the video fingerprint: ${percent}% done…`,
  photoProgress: (percent: number) => `Making the fingerprints of edited copies: ${percent}% done…`,
  ready: "Fingerprint ready.",
  readyVideo: "Fingerprint ready. Edited copies of this video can be found too.",
  lowVideo: "Ready, with a limit: this video is too dark or too plain to match edited copies. Exact copies can be found.",
  lowPhoto:
    "Ready, with a limit: this photo is too plain or too small to match edited copies. Exact copies can be found. " +
    "A larger version of the photo, if you have one, works better.",
  exactVideo:
    "Ready, with a limit: this page cannot read this video's format, so only exact copies can be found. " +
    "“Which files work?” above says more.",
  exactVideoTooLong:
    "Ready, with a limit: this video is longer than this page can read (about an hour), so only exact copies can be found.",
  exactNotImage: "Ready, with a limit: this is not a photo or video this page can read, so only exact copies can be found.",
  exactTooLarge: "Ready, with a limit: this photo is too large for this page, so only exact copies can be found.",
  exactUnreadable:
    "This photo could not be read. It may be damaged. Exact copies of this file can still be found. " +
    "If you have another copy of the photo, add that one too.",
  failed: "This file could not be read. It may be damaged. If you have another copy of it, try that one.",
  duplicate: (name: string) => `“${name}” is already in the list.`,
  summaryHashing: (left: number, total: number) => `Making fingerprints: ${left} of ${total} still to do.`,
  summaryReady: (ready: number, total: number) => `${ready} of ${total} ready to send.`,
  tooManyForOneCase:
    "That is more than one case can hold (about 45 photos). Remove some, send these, then open a second case for " +
    "the rest.",

  sendTitle: "2. Send the fingerprints",
  sendStep: "This opens your case. You will get two codes to keep.",
  send: "Send the fingerprints",
  openFailed: (detail: string) => `The case could not be opened (${detail}). Nothing was saved. Please try again.`,
  openUnreachable: "The registry could not be reached. Nothing was sent. Check your connection and try again.",

  savedTitle: "3. Save your two codes",
  savedWarning: "They are shown only this once and cannot be recovered. You need them to check or withdraw your case.",
  caseNumber: "Case number",
  secret: "Secret",
  download: "Download the codes",
  copy: "Copy the codes",
  downloaded: "Downloaded. Keep the file somewhere private.",
  copied: "Copied. Paste them somewhere private, such as a password manager.",
  copyRefused: "This browser did not allow copying. The codes are selected: press Ctrl+C (or Cmd+C) to copy them.",
  files: enFiles,
  caseOpen: (m: Files | null, n: number) =>
    m ? `Your case is open, for ${enFiles(m)} (${n} fingerprint${n === 1 ? "" : "s"}).`
      : `Your case is open, with ${n} fingerprint${n === 1 ? "" : "s"}.`,

  statusTitle: "Check your case",
  statusStep: "Enter your two codes to see what platforms have done, or to withdraw the case.",
  showStatus: "Show my case",
  statusViewTitle: "Your case",
  statusOpen: (id: string, date: string, m: Files | null, n: number) =>
    `Case ${id} has been open since ${date}, ${m ? `for ${enFiles(m)}` : `with ${n} fingerprint${n === 1 ? "" : "s"}`}. ` +
    "Platforms that take part are looking for copies.",
  statusWithdrawn: (id: string, date: string) =>
    `Case ${id} was withdrawn on ${date}. Platforms no longer look for its photos and videos.`,
  paused: (n: number) =>
    n === 1
      ? "One fingerprint is paused while the registry checks it. Platforms are not looking for it until then."
      : `${n} fingerprints are paused while the registry checks them. Platforms are not looking for them until then.`,
  noOutcomes: "No platform has reported finding a copy yet. That is normal: they report only when a copy is uploaded.",
  noOutcomesNext: "You can check again at any time.",
  noOutcomesWithdrawn: "No platform reported finding a copy.",
  duration: enDuration,
  outcome: (member: string, outcome: Outcome, date: string, after: Duration | null) => {
    if (after === null) {
      return {
        blocked: `${member} found a copy and removed or blocked it (${date}).`,
        under_review: `${member} found a possible copy and is reviewing it (${date}).`,
        not_actioned: `${member} reviewed a possible copy and did not act on it (${date}).`,
      }[outcome];
    }
    const a = enDuration(after);
    return {
      blocked: `${member} found a copy and removed or blocked it, ${a} after you opened your case (${date}).`,
      under_review: `${member} found a possible copy, ${a} after you opened your case, and is reviewing it (${date}).`,
      not_actioned: `${member} reviewed a possible copy and did not act on it, ${a} after you opened your case (${date}).`,
    }[outcome];
  },
  outcomeTarget: (within: boolean, hours: number) =>
    `That is ${within ? "within" : "later than"} the ${hours === 1 ? "hour" : `${hours} hours`} platforms are expected to act in.`,
  outcomeNext: (outcome: Outcome) =>
    ({
      blocked: "Nothing more is needed from you for this copy.",
      under_review: "You do not need to do anything now. Check again in a few days.",
      not_actioned:
        "If you believe this is your photo, you can report it to that platform directly and keep this record.",
    })[outcome],
  outcomeOther: (member: string, code: string, date: string) => `${member} reported “${code}” (${date}).`,
  outcomeOtherNext: "If this is unclear, you can ask that platform directly and keep this record.",

  recordTitle: "Keep a record",
  recordIntro:
    "A record of your case, to keep or to take to the police or a lawyer. It has the case number but not the " +
    "secret, and no photos or videos.",
  recordPrint: "Print or save as PDF",
  recordDownload: "Download the record (JSON)",
  recordDownloaded: "Downloaded. Keep the file somewhere private.",
  reportTitle: "Record of a case",
  reportBack: "Back to your case",
  reportRegistry: "Registry",
  reportMade: "Record made",
  reportOpened: "Case opened",
  reportWithdrawn: "Case withdrawn",
  reportRegisteredTitle: "What was registered",
  reportFiles: "Files registered",
  reportPdq: "Photo fingerprints (PDQ)",
  reportMd5: "Exact-copy fingerprints (MD5)",
  reportSha256: "Exact-copy fingerprints (SHA-256)",
  reportVpdq: "Video fingerprints (vPDQ)",
  reportPdqFiled: "Extra fingerprints for edited copies (PDQ)",
  reportPaused: "Fingerprints paused while the registry checks them",
  reportOutcomesTitle: "What platforms reported",
  reportNoOutcomes: "No platform has reported finding a copy.",
  reportPlatform: "Platform",
  reportOutcome: "What it reported",
  reportWhen: "When",
  reportAfter: "Time after the case was opened",
  reportOutcomeText: (outcome: Outcome) =>
    ({
      blocked: "Found a copy and removed or blocked it",
      under_review: "Found a possible copy and is reviewing it",
      not_actioned: "Reviewed a possible copy and did not act on it",
    })[outcome],
  reportTarget: (hours: number) =>
    `Platforms that take part are expected to act within ${hours === 1 ? "1 hour" : `${hours} hours`} after a case is opened.`,
  reportAuditTitle: "The registry's audit chain",
  reportAuditHead: "Audit chain head",
  reportAuditNote:
    "This code lets the registry's history be checked later: it fixes what the registry had recorded when this " +
    "record was made.",
  reportNoSecret: "This record has no photos or videos, and not the case's secret.",
  withdraw: "Withdraw this case…",
  confirmTitle: "Withdraw this case?",
  confirmText:
    "Platforms stop looking for these photos and videos. This cannot be undone, but you can open a new case later.",
  confirmNo: "Keep the case",
  confirmYes: "Withdraw it",

  enterBoth: "Enter both the case number and the secret.",
  mismatch: "The case number and secret do not match. Check both and try again.",
  badCaseId: "That case number is not in the right form. It starts with c_.",
  noCase: "There is no case with that number.",
  rateLimited: (w: Wait) =>
    "Many requests came from this network. Please try again " +
    (w.unit === "minute" ? "in about a minute." : w.unit === "minutes" ? `in about ${w.n} minutes.` : `in about ${w.n} hours.`),
  registryError: (detail: string) => `Something went wrong on the registry (${detail}). Please try again later.`,
  unreachable: "The registry could not be reached. Check your connection and try again.",
  withdrawUnreachable: "The registry could not be reached, so the case was not withdrawn. Please try again.",

  privacyTitle: "What is sent",
  privacySent: "Only fingerprints are sent. No name, email or account is needed, and this page loads nothing from other websites.",
  privacyHonest:
    "A fingerprint is not the photo and cannot be viewed as one. But taken together, a photo's fingerprints of its " +
    "crops and edits could let someone rebuild a blurry, very small version of it, like a tiny thumbnail. So the " +
    "registry shares fingerprints only with platforms that take part, which must keep them private, never publicly.",
  privacyReassure: "Your photos and videos themselves never leave this device, and nobody, including us, sees them.",
  details: "Details",
  privacyDetails:
    "For each photo: a PDQ fingerprint (which still matches after resizing or small edits), about 110 more PDQ " +
    "fingerprints of its crops, edges and tilts (which match cropped, framed, captioned and screenshotted copies), " +
    "and its MD5 and SHA-256 fingerprints (which match exact copies). Each fingerprint says which of your files it " +
    "came from by a number, never by its name. For a video this page can read: a vPDQ fingerprint (one PDQ per " +
    "second of video), MD5 and SHA-256. For a photo too plain or too small for a reliable PDQ, and for any other " +
    "video or file: MD5 and SHA-256 only.",
  helpTitle: "Who runs this, and where to get help",
  helpLink: "Need to talk to someone? See where to get help.",
  helpWho: "Who runs this registry",
  helpRunBy: (name: string, operator: string) =>
    name && operator ? `${name} is run by ${operator}.` : name ? `This registry is ${name}.` : `This registry is run by ${operator}.`,
  helpContact: "Contact:",
  helpPrivacy: "How they handle information: the privacy notice",
  helpTalkTitle: "If you need to talk to someone",
  helpTalkIntro: "What is happening is not your fault, and you do not have to face it alone. These services can help.",
  helpOtherCountries: "Other countries",
  helpUnder18Title: "If you are under 18",
  helpUnder18Intro: "These services are for people under 18, and can help you.",
  helpPlatformsTitle: "Platforms that take part",
};

export type Catalog = typeof en;

const es: Catalog = {
  languageName: "Español",
  languageLabel: "Idioma",
  title: "Quell: ayuda para frenar la difusión de imágenes íntimas tuyas",
  skip: "Ir al contenido",
  heading: "Frena la difusión de imágenes íntimas tuyas",
  lead: "Tus fotos y vídeos se quedan en este dispositivo. Solo se envían sus huellas: códigos cortos hechos a partir de ellos.",
  leadPlatforms: "Las plataformas que participan usan las huellas para encontrar copias y detenerlas.",

  chooseTitle: "1. Elige fotos y vídeos",
  chooseStep: "Elige los que te preocupan. Todavía no se envía nada.",
  chooseButton: "Elegir fotos o vídeos",
  addMore: (n: number) => `Añadir más (${n} ${n === 1 ? "elegido" : "elegidos"})`,
  dropHint: "O arrástralos aquí.",
  filesHelp: "¿Qué archivos sirven?",
  filesHelpPhotos:
    "Las fotos (JPEG, PNG, GIF, WebP, BMP, TIFF) reciben una huella PDQ, que también reconoce copias con otro " +
    "tamaño o con pequeños retoques; unas 110 huellas PDQ más de sus recortes, bordes e inclinaciones, para " +
    "encontrar también copias recortadas, enmarcadas, con texto o en capturas de pantalla; y huellas MD5 y " +
    "SHA-256, que reconocen copias exactas. Cada una es un código corto hecho a partir de la foto en este dispositivo.",
  filesHelpVideos:
    "Los vídeos MP4 y MOV en H.264, el formato habitual, reciben una huella vPDQ en este dispositivo, así que " +
    "también se encuentran copias recodificadas, recortadas o con otro tamaño. Un vídeo largo tarda un rato; " +
    "sirve hasta una hora de vídeo, más o menos.",
  filesHelpOther:
    "Otros vídeos y archivos, y las fotos que este navegador no puede abrir (como algunas fotos HEIC), reciben " +
    "solo MD5 y SHA-256, así que se encuentran las copias exactas. La herramienta de línea de órdenes quell " +
    "(quell case open) les saca todas las huellas en un ordenador.",
  listTitle: "Tus fotos y vídeos",
  unnamed: "archivo sin nombre",
  remove: "Quitar",
  hashing: "Creando la huella…",
  videoProgress: (percent: number) => `Creando la huella del vídeo: ${percent}% hecho…`,
  photoProgress: (percent: number) => `Creando las huellas de las copias retocadas: ${percent}% hecho…`,
  ready: "Huella lista.",
  readyVideo: "Huella lista. También se pueden encontrar copias retocadas de este vídeo.",
  lowVideo:
    "Lista, con un límite: este vídeo es demasiado oscuro o uniforme para reconocer copias retocadas. " +
    "Se pueden encontrar las copias exactas.",
  lowPhoto:
    "Lista, con un límite: esta foto es demasiado uniforme o pequeña para reconocer copias retocadas. " +
    "Se pueden encontrar las copias exactas. Si tienes una versión más grande de la foto, funciona mejor.",
  exactVideo:
    "Lista, con un límite: esta página no puede leer el formato de este vídeo, así que solo se pueden encontrar " +
    "copias exactas. «¿Qué archivos sirven?», más arriba, lo explica.",
  exactVideoTooLong:
    "Lista, con un límite: este vídeo es más largo de lo que esta página puede leer (una hora, más o menos), así " +
    "que solo se pueden encontrar copias exactas.",
  exactNotImage:
    "Lista, con un límite: no es una foto ni un vídeo que esta página pueda leer, así que solo se pueden " +
    "encontrar copias exactas.",
  exactTooLarge:
    "Lista, con un límite: esta foto es demasiado grande para esta página, así que solo se pueden encontrar copias exactas.",
  exactUnreadable:
    "No se ha podido leer esta foto. Puede que esté dañada. Aun así se pueden encontrar copias exactas de este " +
    "archivo. Si tienes otra copia de la foto, añádela también.",
  failed: "No se ha podido leer este archivo. Puede que esté dañado. Si tienes otra copia, prueba con esa.",
  duplicate: (name: string) => `«${name}» ya está en la lista.`,
  summaryHashing: (left: number, total: number) => `Creando huellas: faltan ${left} de ${total}.`,
  summaryReady: (ready: number, total: number) => `${ready} de ${total} ${total === 1 ? "lista" : "listas"} para enviar.`,
  tooManyForOneCase:
    "Es más de lo que cabe en un caso (unas 45 fotos). Quita algunas, envía estas y después abre un segundo caso " +
    "para las demás.",

  sendTitle: "2. Envía las huellas",
  sendStep: "Así se abre tu caso. Recibirás dos códigos que debes guardar.",
  send: "Enviar las huellas",
  openFailed: (detail: string) =>
    `No se ha podido abrir el caso (${detail}). No se ha guardado nada. Inténtalo de nuevo.`,
  openUnreachable:
    "No se ha podido contactar con el registro. No se ha enviado nada. Revisa tu conexión e inténtalo de nuevo.",

  savedTitle: "3. Guarda tus dos códigos",
  savedWarning:
    "Solo se muestran esta vez y no se pueden recuperar. Los necesitas para consultar o retirar tu caso.",
  caseNumber: "Número de caso",
  secret: "Clave secreta",
  download: "Descargar los códigos",
  copy: "Copiar los códigos",
  downloaded: "Descargados. Guarda el archivo en un lugar privado.",
  copied: "Copiados. Pégalos en un lugar privado, como un gestor de contraseñas.",
  copyRefused:
    "Este navegador no ha permitido copiar. Los códigos están seleccionados: pulsa Ctrl+C (o Cmd+C) para copiarlos.",
  files: esFiles,
  caseOpen: (m: Files | null, n: number) =>
    m ? `Tu caso está abierto, para ${esFiles(m)} (${n} ${n === 1 ? "huella" : "huellas"}).`
      : `Tu caso está abierto, con ${n} ${n === 1 ? "huella" : "huellas"}.`,

  statusTitle: "Consulta tu caso",
  statusStep: "Escribe tus dos códigos para ver qué han hecho las plataformas o para retirar el caso.",
  showStatus: "Ver mi caso",
  statusViewTitle: "Tu caso",
  statusOpen: (id: string, date: string, m: Files | null, n: number) =>
    `El caso ${id} está abierto desde el ${date}, ${m ? `para ${esFiles(m)}` : `con ${n} ${n === 1 ? "huella" : "huellas"}`}. ` +
    "Las plataformas que participan están buscando copias.",
  statusWithdrawn: (id: string, date: string) =>
    `El caso ${id} se retiró el ${date}. Las plataformas ya no buscan sus fotos y vídeos.`,
  paused: (n: number) =>
    n === 1
      ? "Una huella está en pausa mientras el registro la revisa. Hasta entonces las plataformas no la buscan."
      : `${n} huellas están en pausa mientras el registro las revisa. Hasta entonces las plataformas no las buscan.`,
  noOutcomes:
    "Ninguna plataforma ha encontrado una copia todavía. Es lo normal: solo avisan cuando alguien sube una copia.",
  noOutcomesNext: "Puedes volver a consultarlo cuando quieras.",
  noOutcomesWithdrawn: "Ninguna plataforma avisó de haber encontrado una copia.",
  duration: esDuration,
  outcome: (member: string, outcome: Outcome, date: string, after: Duration | null) => {
    if (after === null) {
      return {
        blocked: `${member} encontró una copia y la eliminó o bloqueó (${date}).`,
        under_review: `${member} encontró una posible copia y la está revisando (${date}).`,
        not_actioned: `${member} revisó una posible copia y no hizo nada con ella (${date}).`,
      }[outcome];
    }
    const a = `${esDuration(after)} después de que abrieras tu caso`;
    return {
      blocked: `${member} encontró una copia y la eliminó o bloqueó ${a} (${date}).`,
      under_review: `${member} encontró una posible copia ${a} y la está revisando (${date}).`,
      not_actioned: `${member} revisó una posible copia ${a} y no hizo nada con ella (${date}).`,
    }[outcome];
  },
  outcomeTarget: (within: boolean, hours: number) =>
    `${within ? "Está dentro del" : "Fue después del"} plazo de ${hours} ${hours === 1 ? "hora" : "horas"} en el que ` +
    "se espera que actúen las plataformas.",
  outcomeNext: (outcome: Outcome) =>
    ({
      blocked: "No necesitas hacer nada más con esta copia.",
      under_review: "Ahora no necesitas hacer nada. Vuelve a consultarlo en unos días.",
      not_actioned:
        "Si crees que es tu foto, puedes denunciarlo directamente a esa plataforma y guardar un informe del caso.",
    })[outcome],
  outcomeOther: (member: string, code: string, date: string) => `${member} informó «${code}» (${date}).`,
  outcomeOtherNext: "Si no está claro, puedes preguntar directamente a esa plataforma y guardar un informe del caso.",

  recordTitle: "Guarda un informe",
  recordIntro:
    "Un informe de tu caso, para guardarlo o llevarlo a la policía o a un abogado. Incluye el número de caso, " +
    "pero no la clave secreta ni fotos ni vídeos.",
  recordPrint: "Imprimir o guardar como PDF",
  recordDownload: "Descargar el informe (JSON)",
  recordDownloaded: "Descargado. Guarda el archivo en un lugar privado.",
  reportTitle: "Informe de un caso",
  reportBack: "Volver a tu caso",
  reportRegistry: "Registro",
  reportMade: "Fecha del informe",
  reportOpened: "Caso abierto",
  reportWithdrawn: "Caso retirado",
  reportRegisteredTitle: "Qué se registró",
  reportFiles: "Archivos registrados",
  reportPdq: "Huellas de fotos (PDQ)",
  reportMd5: "Huellas de copias exactas (MD5)",
  reportSha256: "Huellas de copias exactas (SHA-256)",
  reportVpdq: "Huellas de vídeos (vPDQ)",
  reportPdqFiled: "Huellas adicionales para copias retocadas (PDQ)",
  reportPaused: "Huellas en pausa mientras el registro las revisa",
  reportOutcomesTitle: "Qué informaron las plataformas",
  reportNoOutcomes: "Ninguna plataforma ha informado de haber encontrado una copia.",
  reportPlatform: "Plataforma",
  reportOutcome: "Qué informó",
  reportWhen: "Cuándo",
  reportAfter: "Tiempo desde que se abrió el caso",
  reportOutcomeText: (outcome: Outcome) =>
    ({
      blocked: "Encontró una copia y la eliminó o bloqueó",
      under_review: "Encontró una posible copia y la está revisando",
      not_actioned: "Revisó una posible copia y no hizo nada con ella",
    })[outcome],
  reportTarget: (hours: number) =>
    `Se espera que las plataformas que participan actúen en un plazo de ${hours} ${hours === 1 ? "hora" : "horas"} ` +
    "desde que se abre un caso.",
  reportAuditTitle: "La cadena de auditoría del registro",
  reportAuditHead: "Cabeza de la cadena de auditoría",
  reportAuditNote:
    "Este código permite comprobar más adelante el historial del registro: fija lo que el registro tenía anotado " +
    "cuando se hizo este informe.",
  reportNoSecret: "Este informe no contiene fotos ni vídeos, ni la clave secreta del caso.",
  withdraw: "Retirar este caso…",
  confirmTitle: "¿Retirar este caso?",
  confirmText:
    "Las plataformas dejarán de buscar estas fotos y vídeos. No se puede deshacer, pero más adelante puedes abrir un caso nuevo.",
  confirmNo: "Mantener el caso",
  confirmYes: "Retirarlo",

  enterBoth: "Escribe el número de caso y la clave secreta.",
  mismatch: "El número de caso y la clave secreta no coinciden. Revisa los dos e inténtalo de nuevo.",
  badCaseId: "Ese número de caso no tiene la forma correcta. Empieza por c_.",
  noCase: "No hay ningún caso con ese número.",
  rateLimited: (w: Wait) =>
    "Han llegado muchas solicitudes desde esta red. Inténtalo de nuevo " +
    (w.unit === "minute" ? "en un minuto, más o menos." : w.unit === "minutes" ? `en unos ${w.n} minutos.` : `en unas ${w.n} horas.`),
  registryError: (detail: string) => `Algo ha fallado en el registro (${detail}). Inténtalo de nuevo más tarde.`,
  unreachable: "No se ha podido contactar con el registro. Revisa tu conexión e inténtalo de nuevo.",
  withdrawUnreachable:
    "No se ha podido contactar con el registro, así que el caso no se ha retirado. Inténtalo de nuevo.",

  privacyTitle: "Qué se envía",
  privacySent:
    "Solo se envían huellas. No hace falta nombre, correo ni cuenta, y esta página no carga nada de otros sitios web.",
  privacyHonest:
    "Una huella no es la foto y no se puede ver como una foto. Pero, todas juntas, las huellas de los recortes y " +
    "retoques de una foto podrían permitir reconstruir una versión borrosa y muy pequeña de ella, como una " +
    "miniatura. Por eso el registro solo comparte las huellas con las plataformas que participan, que deben " +
    "guardarlas en privado, nunca en público.",
  privacyReassure: "Tus fotos y vídeos nunca salen de este dispositivo, y nadie, ni siquiera nosotros, los ve.",
  details: "Detalles",
  privacyDetails:
    "Para cada foto: una huella PDQ (que sigue reconociéndola después de cambiar el tamaño o de pequeños retoques), " +
    "unas 110 huellas PDQ más de sus recortes, bordes e inclinaciones (que reconocen copias recortadas, enmarcadas, " +
    "con texto o en capturas de pantalla) y sus huellas MD5 y SHA-256 (que reconocen copias exactas). Cada huella " +
    "indica de cuál de tus archivos salió con un número, nunca con su nombre. Para un vídeo que esta página puede leer: una " +
    "huella vPDQ (una PDQ por cada segundo de vídeo), MD5 y SHA-256. Para una foto demasiado uniforme o pequeña " +
    "para una PDQ fiable, y para cualquier otro vídeo o archivo: solo MD5 y SHA-256.",
  helpTitle: "Quién gestiona este servicio y dónde pedir ayuda",
  helpLink: "¿Necesitas hablar con alguien? Mira dónde pedir ayuda.",
  helpWho: "Quién gestiona este registro",
  helpRunBy: (name: string, operator: string) =>
    name && operator ? `${name} lo gestiona ${operator}.` : name ? `Este registro es ${name}.` : `Este registro lo gestiona ${operator}.`,
  helpContact: "Contacto:",
  helpPrivacy: "Cómo tratan la información: el aviso de privacidad",
  helpTalkTitle: "Si necesitas hablar con alguien",
  helpTalkIntro: "Lo que está pasando no es culpa tuya, y no tienes que enfrentarlo sola ni solo. Estos servicios pueden ayudarte.",
  helpOtherCountries: "Otros países",
  helpUnder18Title: "Si tienes menos de 18 años",
  helpUnder18Intro: "Estos servicios son para menores de 18 años y pueden ayudarte.",
  helpPlatformsTitle: "Plataformas que participan",
};

/** The page's languages, by their code; the first is the fallback. */
export const catalogs = { en, es } satisfies Record<string, Catalog>;
export type Lang = keyof typeof catalogs;

function known(tag: string): Lang | null {
  const primary = tag.toLowerCase().split("-")[0];
  return primary in catalogs ? (primary as Lang) : null;
}

/**
 * The language to show: the one the person chose in this tab, else the first of the browser's
 * preferred languages the page has, else English.
 */
export function pickLanguage(chosen: string | null, preferred: readonly string[]): Lang {
  for (const tag of [chosen, ...preferred]) {
    const lang = tag ? known(tag) : null;
    if (lang) return lang;
  }
  return "en";
}

/** The static texts' keys: those whose text is a string, not a function of some values. */
export type StaticKey = { [K in keyof Catalog]: Catalog[K] extends string ? K : never }[keyof Catalog];
