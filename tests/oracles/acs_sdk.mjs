// Adobe's own Campaign Standard SDK (@adobe/aio-lib-campaign-standard, from
// the committed package-lock.json) driven against the ACS emulator: an oracle
// of what Adobe's client sends and expects. Run by tests/test_acs_sdk_oracle.py.
//
// Input: one JSON argument {site, acs, organization, transactionalTenant,
// clientId, clientSecret, scopes, eventId, email}. Output: one JSON document
// on stdout, {"steps": [{"step", "status", "body"}...]} and, when a step
// failed, "error"; the exit status is 0 only when every step answered 2xx.
//
// The SDK is not changed. It builds its URLs from the first `servers` entry
// of the OpenAPI document it ships (spec/api.json, loaded with require() in
// src/index.js: "https://mc.adobe.io/{ORGANIZATION}/campaign"): the same
// module object is loaded here first and its server URL pointed at the
// emulator, so every request the SDK makes goes there instead.

import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const input = JSON.parse(process.argv[2])

const spec = require('@adobe/aio-lib-campaign-standard/spec/api.json')
spec.servers[0].url = `${input.acs}/{ORGANIZATION}/campaign`
const sdk = require('@adobe/aio-lib-campaign-standard')

const steps = []

async function step (name, call) {
  const response = await call()
  steps.push({ step: name, status: response.status, body: response.body })
  return response.body
}

// Adobe IMS, OAuth Server-to-Server: the token the SDK is given (spec §A).
async function imsToken () {
  const response = await fetch(`${input.site}/emulator/ims/token/v3`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: input.clientId,
      client_secret: input.clientSecret,
      scope: input.scopes
    })
  })
  const body = await response.json()
  steps.push({ step: 'ims.token', status: response.status, body: { token_type: body.token_type, expires_in: body.expires_in } })
  if (!response.ok) throw new Error(`IMS answered HTTP ${response.status}`)
  return body.access_token
}

async function run () {
  const token = await imsToken()
  const campaign = await sdk.init(input.organization, input.clientId, token)

  const created = await step('profile.create', () => campaign.createProfile({
    email: input.email, firstName: 'Jane', lastName: 'Doe', preferredLanguage: 'en_us'
  }))
  const pkey = created.PKey
  await step('profile.get', () => campaign.getProfile(pkey))
  await step('profile.patch', () => campaign.updateProfile(pkey, { firstName: 'Janet' }))
  await step('profile.byEmail', () => campaign.getAllProfiles({ filters: ['byEmail'], email: input.email }))
  await step('profile.list', () => campaign.getAllProfiles({ lineCount: 10 }))

  const services = await step('service.list', () => campaign.getAllServices())
  await step('service.get', () => campaign.getService(services.content[0].PKey))

  const event = await step('event.send', () => campaign.sendTransactionalEventForMacTenantId(
    input.transactionalTenant, input.eventId, { email: input.email, ctx: { firstName: 'Jane', couponCode: 'ÉTÉ-2025' } }
  ))
  await step('event.status', () => campaign.getTransactionalEventForMacTenantId(
    input.transactionalTenant, input.eventId, event.PKey
  ))

  await step('history.get', () => campaign.getHistoryOfProfile(pkey))
  await step('metadata.profile', () => campaign.getMetadataForResource('profile'))
  await step('metadata.history', () => campaign.getMetadataForResource('history'))
  await step('profile.ext.get', () => campaign.getProfileWithOrgUnit(pkey))
}

try {
  await run()
  console.log(JSON.stringify({ steps }))
} catch (error) {
  // The SDK wraps failures (SDKErrors.js): keep its code and message.
  console.log(JSON.stringify({ steps, error: { code: error.code, message: String(error.message || error) } }))
  process.exitCode = 1
}
