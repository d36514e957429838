// MailImport in Azure: one Function App (Durable Functions, Azure Storage backend) with a user-assigned identity,
// its storage account, a Key Vault for the Yandex 360 token and the sources' passwords, and Application Insights.
// `azd up` provisions this and deploys src/MailImport.Functions as the service `api` (see azure.yaml).
//
// Subscription scope, as in the azd quickstart: the template creates its own resource group rg-<environment>,
// so `azd up` needs nothing created beforehand and `azd down` removes everything by deleting that group.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer the Flex Consumption plan: `az functionapp list-flexconsumption-locations`.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person (or service principal) running azd; may set secrets in the vault (the Yandex 360 token) but not read them, unless deployerCanReadSecrets. azd fills it in; leave empty to grant nothing.')
param principalId string = ''

@description('True gives the deployer Key Vault Secrets Officer, which reads secrets too (the sources\' passwords of running batches among them); false lets them set secrets and list their names only.')
param deployerCanReadSecrets bool = false

@description('True keeps the public endpoints of storage and Key Vault open beside their private endpoints, for a first trial; false (the default) lets only the app reach them, through its virtual network.')
param allowPublicAccessForTrial bool = false

@description('Comma-separated IPv4 addresses or CIDR ranges the closed vault still admits on its public endpoint, e.g. the admin\'s address to put the Yandex 360 token in; empty admits none.')
param keyVaultAllowedIpRanges string = ''

@minValue(31)
@description('Days after its last read or write that a blob of a batch (mailimport-batches) is deleted: the backstop behind the app\'s own 30-day idle close, so longer than 30.')
param batchRetentionDays int = 45

@minValue(1)
@description('Days after its upload that a raw credential file still in mailimport-uploads (an orphan: a run deletes it minutes after the upload) is deleted.')
param uploadRetentionDays int = 2

@minLength(1)
@description('The Yandex 360 organisation id (admin console, "Organisation profile"). Digits only.')
param yandex360OrgId string

@description('Name of the Key Vault secret that holds the Yandex 360 OAuth token. The admin stores the token after deployment; it is never a parameter.')
param yandex360TokenSecretName string = 'yandex360-oauth-token'

@description('ClientID of the Yandex 360 service application MailImport writes mail as (mail:imap_full); empty to log in with each mailbox\'s password instead.')
param yandex360ServiceApplicationClientId string = ''

@description('Name of the Key Vault secret that holds the service application\'s client secret. The admin stores it after deployment; it is never a parameter.')
param yandex360ServiceApplicationSecretName string = 'yandex360-service-app-secret'

@description('Name of the Key Vault secret that holds the HTTP API key for automation (x-functions-key). The admin stores it after deployment; until then no key is accepted.')
param apiKeySecretName string = 'mailimport-api-key'

@description('Application (client) id of the API\'s Entra ID app registration, the audience of its v2.0 tokens; empty turns bearer tokens off (the key alone opens the API).')
param apiEntraAudience string = ''

@description('IMAP server of the destination: the mailboxes MailImport creates are filled through it.')
param destinationImapHost string = 'imap.yandex.ru'

@description('IMAP port of the destination (implicit TLS).')
param destinationImapPort int = 993

@description('IMAP hierarchy separator of the destination, for the dry run\'s folder renames: Yandex Mail lists its folders with "|".')
@minLength(1)
@maxLength(1)
param destinationHierarchySeparator string = '|'

@description('Durable Functions task hub name: its queues, tables and blobs in the storage account start with it.')
param taskHubName string = 'MailImport'

@minValue(1)
@description('Mailboxes one batch copies at the same time.')
param maxMailboxesInFlight int = 8

@minValue(0)
@description('Connections open at once to one source host, across every batch and every instance of the app (counted with blob leases in the storage account); 0 for no limit. A large provider limits per account, not per host: raise it for a big migration from one.')
param connectionsPerSourceHost int = 15

@minValue(0)
@description('Mailboxes copied at once into the Yandex 360 organisation, across every batch and every instance of the app; 0 (the default) for no limit beyond each batch\'s own, as Yandex 360 publishes none.')
param mailboxesPerDestinationOrganisation int = 0

@minValue(30)
@maxValue(480)
@description('Seconds one copy chunk (one activity) runs at most. With two network timeouts (2 x 60 s) of margin it must end inside host.json functionTimeout (10 minutes), which the host enforces per invocation.')
param chunkSeconds int = 180

// uniqueString gives 13 lowercase letters and digits: short enough for storage (24) and Key Vault (24) names.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    // Flex Consumption deploys the app's package as a blob into this container.
    deploymentContainerName: 'app-package'
    allowPublicAccess: allowPublicAccessForTrial
    batchRetentionDays: batchRetentionDays
    uploadRetentionDays: uploadRetentionDays
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    allowPublicAccess: allowPublicAccessForTrial
    allowedIpRanges: filter(map(split(keyVaultAllowedIpRanges, ','), range => trim(range)), range => !empty(range))
  }
}

module network 'app/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    virtualNetworkName: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerCanReadSecrets: deployerCanReadSecrets
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  // The host reaches storage, Key Vault and Application Insights only through the identity's roles: grant them
  // before the app first starts, so its first minutes are not spent on 403s.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    virtualNetworkSubnetId: network.outputs.appSubnetId
    appSettings: {
      // Bound by PlatformOptions, Yandex360Options, DestinationOptions and WorkflowOptions ("__" is ":").
      MailImport__BlobServiceUri: storage.outputs.blobEndpoint
      MailImport__KeyVaultUri: keyVault.outputs.uri
      MailImport__ManagedIdentityClientId: identity.outputs.clientId
      MailImport__Directory: 'Yandex360'
      MailImport__Yandex360__OrgId: yandex360OrgId
      MailImport__Yandex360__TokenSecretName: yandex360TokenSecretName
      MailImport__Yandex360__ServiceApplicationClientId: yandex360ServiceApplicationClientId
      MailImport__Yandex360__ServiceApplicationSecretName: yandex360ServiceApplicationSecretName
      MailImport__Destination__ImapHost: destinationImapHost
      MailImport__Destination__ImapPort: string(destinationImapPort)
      MailImport__Destination__HierarchySeparator: destinationHierarchySeparator
      MailImport__TaskHub: taskHubName
      MailImport__Workflow__MaxMailboxesInFlight: string(maxMailboxesInFlight)
      MailImport__Workflow__ConnectionsPerSourceHost: string(connectionsPerSourceHost)
      MailImport__Workflow__MailboxesPerDestinationOrganisation: string(mailboxesPerDestinationOrganisation)
      MailImport__Workflow__ChunkSeconds: string(chunkSeconds)
      // The API triggers are Anonymous and the app checks every call itself (ApiCallers): the automation key or an
      // Entra ID token. The key is a Key Vault reference the platform resolves with the app's identity, so its value is
      // in no template, parameter or deployment history; one that does not resolve (secret not stored yet) counts as
      // no key. https://learn.microsoft.com/en-us/azure/app-service/app-service-key-vault-references
      MailImport__Api__Key: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${apiKeySecretName})'
      // Tokens of this tenant only, for the app registration named by its client id.
      // https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-tokens
      MailImport__Api__Entra__TenantId: tenant().tenantId
      MailImport__Api__Entra__Audience: apiEntraAudience
    }
  }
}

module diagnostics 'app/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  params: {
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    keyVaultName: keyVault.outputs.name
    storageAccountName: storage.outputs.name
    functionAppName: api.outputs.name
  }
}

// Read by azd (and by the commands in infra/README.md). Names and endpoints only: nothing here is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
