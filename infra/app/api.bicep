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
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          // azd uploads the package here; the platform reads it as the identity (Storage Blob Data Owner).
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
}

resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, appSettings)
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
