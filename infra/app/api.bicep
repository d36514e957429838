// The Function App on a Flex Consumption plan.
//
// Why Flex Consumption and not Elastic Premium: a migration is bursty (a batch runs for hours, then nothing for
// days), and Flex scales to zero and bills per second of use, where Elastic Premium keeps at least one instance
// paid around the clock. Flex runs Durable Functions on the Azure Storage backend, takes identity-based storage for
// the host and for its deployment package, and its default timeout (30 minutes) leaves room for a copy chunk
// (MailImport__Workflow__ChunkSeconds, 180 s). What it lacks (deployment slots, Windows) MailImport does not use.
// Its cold start is fine for an API that starts batches and reports their progress.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string

@description('Subnet the app joins (network.bicep): its traffic to storage and Key Vault goes to their private endpoints.')
param virtualNetworkSubnetId string

@description('MailImport\'s own settings, merged over the host settings below.')
param appSettings object

@description('Flex Consumption instance size in MB (512, 2048 or 4096).')
param instanceMemoryMB int = 2048

@description('Upper bound of instances. A batch is throttled by its own limits (MaxMailboxesInFlight, ConnectionsPerSourceHost), not by this.')
param maximumInstanceCount int = 40

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux: the only OS of Flex Consumption
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    // Regional VNet integration: outbound traffic leaves through this subnet, so the private endpoints of storage
    // and Key Vault (and their private DNS zones) are what the app reaches. Inbound (the HTTP API) stays public,
    // guarded by the app's own check of the API key or an Entra ID token.
    // https://learn.microsoft.com/en-us/azure/azure-functions/flex-consumption-how-to#enable-virtual-network-integration
    virtualNetworkSubnetId: virtualNetworkSubnetId
    // Key Vault references in the app settings (the API key) are resolved with the user-assigned identity, which
    // may read the vault; without this the platform would use a system identity the app does not have.
    // https://learn.microsoft.com/en-us/azure/app-service/app-service-key-vault-references#access-vaults-with-a-user-assigned-identity
    keyVaultReferenceIdentity: identityId
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          // azd hands the package to the app's deployment endpoint; the platform writes it here and reads it at
          // start as the identity (Storage Blob Data Contributor, rbac.bicep), from inside the network.
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        // The 0.49.2 type definitions take the version as a free string, so '10.0' (the project's net10.0) is
        // checked by Azure at deployment, not by `bicep build`.
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION
// and WEBSITE_RUN_FROM_PACKAGE must not be set here (the platform rejects them).
var hostSettings = {
  // Identity-based host storage: service endpoints, the credential kind and which identity. No connection string.
  // The Durable Functions extension uses this same connection for its task hub.
  AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Local auth of Application Insights is off: telemetry is sent with an Entra token of the identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The .NET runtime's diagnostics off: no debugger or profiler can attach, and the diagnostic port through which
  // dotnet-dump and dotnet-trace take a process's memory or events is closed. The worker holds the passwords of the
  // mailboxes it copies in memory, so nothing on the instance may dump it. The app's telemetry goes out through
  // OpenTelemetry in the process, which needs none of these.
  // https://learn.microsoft.com/en-us/dotnet/core/runtime-config/debugging-profiling
  DOTNET_EnableDiagnostics: '0'
  // For the same reason no dump is written when the process crashes (off by default; said here so nothing turns
  // it on unseen). https://learn.microsoft.com/en-us/dotnet/core/diagnostics/collect-dumps-crash
  DOTNET_DbgEnableMiniDump: '0'
}

resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, appSettings)
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
