// Quick start: decisions for a few users on the repository's examples/settings.json, offline.
//   node examples/quickstart.js            (from bindings/node, after `make lib` at the root)
const path = require('path');
const { init, getUUID, LogLevelEnum } = require('..'); // require('vwo-fme-native') when installed

const settings = require(path.join(__dirname, '..', '..', '..', 'examples', 'settings.json'));

async function main() {
  const vwoClient = await init({
    sdkKey: settings.sdkKey,
    accountId: settings.accountId,
    settings, // decide with these settings: no fetch, no polling
    offline: true, // and send no events (this binding's extension)
    logger: { level: LogLevelEnum.WARN },
    integrations: { callback: (p) => console.log('  integration:', p.api, p.featureKey || p.eventName, p.userId || '') },
  });

  for (const user of [
    { id: 'alice', customVariables: { country: 'US', plan: 'free' } },
    { id: 'bob', customVariables: { country: 'DE', plan: 'Premium', beta: true, app_version: '4.3.1' } },
  ]) {
    const flag = await vwoClient.getFlag('new_checkout', user);
    console.log(`${user.id}: new_checkout ${flag.isEnabled() ? 'on' : 'off'}, title=${JSON.stringify(flag.getVariable('title', 'Checkout'))}`);
    console.log('  tracked:', await vwoClient.trackEvent('purchase', user, { revenue: 12.5 }));
    await vwoClient.setAttribute('plan', user.customVariables.plan, user);
  }
  console.log('uuid of alice:', getUUID('alice', settings.accountId));
  await vwoClient.close(); // delivers pending events and frees the native client
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
