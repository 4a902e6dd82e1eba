// Browser end-to-end test of onrecord's web application (run by crates/cli/tests/web_e2e.rs,
// which builds an archive, starts `onrecord serve` and sets the environment below).
//
// Debian's chromium, driven by playwright-core; every page checked with axe-core for WCAG 2.2 AA
// (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) with zero violations allowed; a screenshot of
// every page under $SCREENSHOTS. A Content-Security-Policy violation in the console fails too.
//
// Environment: BASE_URL, USERS (JSON {role: {name, password}}), SCREENSHOTS, WHATSAPP_FILE,
// SIGNAL_FILE and SIGNAL_PASSPHRASE, CHROMIUM (default /usr/bin/chromium).

import { chromium } from 'playwright-core'
import { readFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
const base = process.env.BASE_URL
const users = JSON.parse(process.env.USERS)
const shots = process.env.SCREENSHOTS
mkdirSync(shots, { recursive: true })

const failures = []
const fail = (what) => { failures.push(what); console.error('FAIL ' + what) }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run']
  // launch() gives chromium a fresh temporary user-data-dir of its own (it refuses the flag).
})

let shotNo = 0
/** Checks the page with axe (WCAG 2.2 AA) and keeps a screenshot. */
async function check (page, name) {
  await page.evaluate(axeSource)
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }
  }))
  for (const v of result.violations) {
    fail(`${name}: axe ${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
  }
  shotNo += 1
  await page.screenshot({ path: join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true })
  console.log(`checked ${name}: ${result.violations.length} violations, ${result.passes.length} rules passed`)
}

async function session (role) {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  page.on('console', msg => {
    if (/Content.Security.Policy/i.test(msg.text())) fail(`${role}: CSP violation: ${msg.text()}`)
  })
  page.on('pageerror', e => fail(`${role}: script error: ${e.message}`))
  await page.goto(base + '/sign-in')
  await page.fill('#name', users[role].name)
  await page.fill('#password', users[role].password)
  await page.click('main button[type=submit]')
  await page.waitForURL(base + '/')
  return { context, page }
}

/** Waits for the receipt, or reports the form's error. */
async function uploaded (page, what) {
  await page.waitForSelector('.govuk-panel__title, .govuk-error-summary, h1')
  const error = await page.locator('.govuk-error-summary').count()
  if (error > 0) throw new Error(`upload of ${what}: ${await page.locator('.govuk-error-summary').innerText()}`)
  if (await page.locator('.govuk-panel__title').count() === 0) throw new Error(`upload of ${what}: ${await page.locator('h1').innerText()}`)
}

async function visit (page, path, name, expect) {
  const res = await page.goto(base + path)
  if (!res.ok()) fail(`${name}: ${path} answered ${res.status()}`)
  if (expect && !(await page.content()).includes(expect)) fail(`${name}: ${path} lacks ${JSON.stringify(expect)}`)
  await check(page, name)
}

try {
  // Signed out: the sign-in page, and a wrong password's error summary.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(base + '/')
    await check(page, 'sign-in')
    await page.fill('#name', 'nobody')
    await page.fill('#password', 'not the password')
    await page.click('main button[type=submit]')
    if (!(await page.content()).includes('There is a problem')) fail('sign-in: no error summary')
    await check(page, 'sign-in-error')
    await context.close()
  }

  // The depositor uploads a WhatsApp export and a Signal backup, and downloads a receipt.
  {
    const { context, page } = await session('depositor')
    await check(page, 'depositor-dashboard')
    await visit(page, '/deposits/new', 'upload')
    await page.setInputFiles('#file', process.env.WHATSAPP_FILE)
    await page.click('main button[type=submit]')
    await uploaded(page, 'whatsapp')
    await check(page, 'receipt-whatsapp')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[download]')
    ])
    const receipt = JSON.parse(readFileSync(await download.path(), 'utf8'))
    if (!receipt.proof || !receipt.checkpoint) fail('receipt download lacks its proof')
    await page.goto(base + '/deposits/new')
    await page.setInputFiles('#file', process.env.SIGNAL_FILE)
    await page.fill('#passphrase', process.env.SIGNAL_PASSPHRASE)
    await page.click('main button[type=submit]')
    await uploaded(page, 'signal')
    await check(page, 'receipt-signal')
    await visit(page, '/deposits', 'depositor-deposits')
    const res = await page.goto(base + '/search?q=figures')
    if (res.status() !== 403) fail(`depositor searched: ${res.status()}`)
    await context.close()
  }

  // The records manager: dashboard, search with filters, a conversation, reports, records
  // management (review a label, place a hold, disposal due), verification.
  {
    const { context, page } = await session('records-manager')
    await check(page, 'records-dashboard')
    await visit(page, '/search', 'search-form')
    await page.fill('#q', 'figures')
    await page.fill('#channel', 'signal')
    await page.click('form[action="/search"] button[type=submit]')
    await page.waitForSelector('.onrecord-hits')
    if (!(await page.content()).includes('<mark>figures</mark>')) fail('search: no hit for "figures" on signal')
    await check(page, 'search-results')
    await visit(page, '/conversations', 'conversations')
    await page.click('table a.govuk-link')
    await page.waitForSelector('.onrecord-message')
    await check(page, 'conversation')
    await visit(page, '/people', 'people')
    await page.click('main ul a.govuk-link')
    await page.waitForSelector('h1')
    await check(page, 'person')
    await visit(page, '/reports/usage?by=month', 'usage-month', '<svg')
    await visit(page, '/reports/usage?by=person', 'usage-person')
    await visit(page, '/reports/capture', 'capture')
    const csv = await page.request.get(base + '/reports/usage.csv?by=person')
    if (!csv.ok() || !(await csv.text()).startsWith('key,')) fail('usage CSV')
    await visit(page, '/records/review', 'review-queue')
    if (await page.locator('form[action="/records/review"]').count() > 0) {
      const form = page.locator('form[action="/records/review"]').first()
      await form.locator('input[name=reason]').fill('checked by hand')
      await form.locator('button[type=submit]').click()
      await page.waitForSelector('.govuk-notification-banner')
      await check(page, 'review-decided')
    }
    await visit(page, '/records/holds', 'holds')
    await page.fill('#name', 'e2e-hold')
    await page.fill('#query', 'figures')
    await page.fill('#authority', 'FOI case 2024/001')
    await page.fill('#reason', 'request in scope')
    await page.click('form[action="/records/holds"] button[type=submit]')
    await page.waitForSelector('.govuk-inset-text')
    if (!(await page.content()).includes('Hold placed')) fail('hold not placed')
    await check(page, 'hold-placed')
    await page.selectOption('#release-name', 'e2e-hold')
    await page.fill('#release-authority', 'FOI case 2024/001 closed')
    await page.fill('#release-reason', 'appeal window passed')
    await page.click('form[action="/records/holds/release"] button[type=submit]')
    await page.waitForSelector('.govuk-inset-text')
    if (!(await page.content()).includes('Hold e2e-hold released')) fail('hold not released')
    await check(page, 'hold-released')
    await visit(page, '/records/merges', 'merges', 'One conversation from many phones')
    await visit(page, '/records/disposal', 'disposal')
    await visit(page, '/verification', 'verification', 'Verified')
    await context.close()
  }

  // The FOI officer: the cases by working days left, one case with its steps, and the
  // disclosure log with its CSV.
  {
    const { context, page } = await session('foi-officer')
    await check(page, 'foi-dashboard')
    if (!(await page.content()).includes('Overdue cases')) fail('FOI dashboard: no overdue cases')
    await visit(page, '/cases', 'cases', 'govuk-tag--red')
    await page.click('table a.govuk-link[href="/cases/FOI%2F2024%2F001"]')
    await page.waitForSelector('.govuk-summary-list')
    if (!(await page.content()).includes('Pat Quillfeather')) fail('case: no requester for the FOI officer')
    await check(page, 'case')
    await visit(page, '/cases?overdue=true', 'cases-overdue', 'FOI/2024/001')
    await visit(page, '/disclosure-log', 'disclosure-log', 'FOI/2024/000')
    const csv = await page.request.get(base + '/disclosure-log.csv')
    if (!csv.ok() || !(await csv.text()).startsWith('reference,')) fail('disclosure log CSV')
    await context.close()
  }

  // The auditor: verification and the audit log, and no message content anywhere.
  {
    const { context, page } = await session('auditor')
    await check(page, 'auditor-dashboard')
    await visit(page, '/audit', 'audit-log', 'search')
    await visit(page, '/disclosure-log?all=true', 'auditor-disclosure-log', 'FOI/2024/001')
    if ((await page.content()).includes('Quillfeather')) fail('the disclosure log shows the requester')
    if ((await page.content()).includes('figures, as promised')) fail('the audit log shows message text')
    const res = await page.goto(base + '/search?q=figures')
    if (res.status() !== 403) fail(`auditor searched: ${res.status()}`)
    await check(page, 'forbidden')
    await context.close()
  }

  // The administrator: accounts.
  {
    const { context, page } = await session('admin')
    await visit(page, '/accounts', 'accounts')
    await context.close()
  }
} catch (e) {
  fail(`error: ${e.stack || e}`)
} finally {
  await browser.close()
}

if (failures.length > 0) {
  console.error(`${failures.length} failure(s)`)
  process.exit(1)
}
console.log(`all pages checked: ${shotNo} screenshots in ${shots}`)
