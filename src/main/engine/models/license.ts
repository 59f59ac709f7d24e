/**
 * Finds the license of a model being imported from the LICENSE* files in its folder, so the user
 * sees it before the import. File names like LICENSE-GPL-3.0.txt name the SPDX id directly;
 * otherwise the text is matched against the few licenses models ship under.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ModelLicense } from './catalogue.js'

// Longest first, so LGPL-3.0 is not read as GPL-3.0.
const KNOWN_SPDX = ['CC-BY-NC-SA-4.0', 'CC-BY-NC-4.0', 'BSD-3-Clause', 'BSD-2-Clause', 'Apache-2.0', 'AGPL-3.0', 'LGPL-3.0', 'CC-BY-4.0', 'Unlicense', 'GPL-3.0', 'GPL-2.0', 'CC0-1.0', 'MPL-2.0', 'MIT', 'ISC']

const TEXT_PATTERNS: [RegExp, string][] = [
  [/GNU AFFERO GENERAL PUBLIC LICENSE[\s\S]{0,200}Version 3/i, 'AGPL-3.0'],
  [/GNU LESSER GENERAL PUBLIC LICENSE[\s\S]{0,200}Version 3/i, 'LGPL-3.0'],
  [/GNU GENERAL PUBLIC LICENSE[\s\S]{0,200}Version 3|\bGPL-3\.0\b/i, 'GPL-3.0'],
  [/GNU GENERAL PUBLIC LICENSE[\s\S]{0,200}Version 2|\bGPL-2\.0\b/i, 'GPL-2.0'],
  [/Apache License[\s\S]{0,80}Version 2\.0|\bApache-2\.0\b/i, 'Apache-2.0'],
  [/\bMIT License\b|Permission is hereby granted, free of charge/i, 'MIT'],
  [/Redistribution and use in source and binary forms[\s\S]*Neither the name/i, 'BSD-3-Clause'],
  [/Redistribution and use in source and binary forms/i, 'BSD-2-Clause'],
]

export interface FoundLicense {
  license: ModelLicense
  /** The file it came from. */
  file: string
}

/** Looks for LICENSE* / COPYING* beside `modelFile`. Returns null when there is none or it is unrecognised. */
export async function findLicense(modelFile: string): Promise<FoundLicense | null> {
  const dir = path.dirname(path.resolve(modelFile))
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => /^(licen[cs]e|copying)/i.test(n)).sort()
  } catch {
    return null
  }
  // 1. A file name that carries an SPDX id (LICENSE-Apache-2.0.txt).
  for (const name of names) {
    const spdx = KNOWN_SPDX.find((id) => name.toLowerCase().includes(id.toLowerCase()))
    if (spdx !== undefined) return { license: licenseFrom(spdx, path.join(dir, name)), file: path.join(dir, name) }
  }
  // 2. The text: the first line (a notice's title) first, then the whole text.
  for (const name of names) {
    let text: string
    try {
      text = (await readFile(path.join(dir, name), 'utf8')).slice(0, 20_000)
    } catch {
      continue
    }
    const firstLine = text.split('\n', 1)[0] ?? ''
    const spdx = matchText(firstLine) ?? matchText(text)
    if (spdx !== undefined) return { license: licenseFrom(spdx, path.join(dir, name)), file: path.join(dir, name) }
  }
  return null
}

function matchText(text: string): string | undefined {
  return TEXT_PATTERNS.find(([re]) => re.test(text))?.[1]
}

/** One line on what the license asks of the user, shown before import. */
export function licenseGist(spdx: string): string {
  if (/^(A|L)?GPL-/.test(spdx)) return 'Copyleft: you may use it; if you pass the model (or software that includes it) on, the same license applies and its source must come with it.'
  if (/-NC(-|$)/.test(spdx)) return 'Non-commercial use only.'
  if (/^CC-BY-/.test(spdx)) return 'You must credit the authors when you share it.'
  if (['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', 'Zlib'].includes(spdx)) return 'Permissive: keep the copyright notice when you share it.'
  return 'Read the license before use.'
}

function licenseFrom(spdx: string, file: string): ModelLicense {
  return { spdx, notice: `${licenseGist(spdx)} (${spdx}, from ${file})` }
}

/** For --license given by the user. */
export function declaredLicense(spdx: string): ModelLicense {
  return { spdx, notice: `${licenseGist(spdx)} (${spdx}, as declared at import)` }
}

export const UNKNOWN_LICENSE: ModelLicense = {
  spdx: 'unknown',
  notice: 'No license was found beside this model. Use it only if you have the right to; pass --license <SPDX id> to record one.',
}
