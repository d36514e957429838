// The app's private network: a virtual network the Function App joins (regional VNet integration), private endpoints
// of the storage account (blob, queue, table) and of the Key Vault in it, and the private DNS zones that make the
// services' usual host names resolve to those endpoints inside the network. The app keeps its settings (the public
// host names): in the network they resolve to the private addresses, so storage and the vault can close their
// public endpoints (storage.bicep, keyvault.bicep).
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-networking-options#restrict-your-storage-account-to-a-virtual-network
// https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns
param virtualNetworkName string
param location string
param tags object
param storageAccountName string
param keyVaultName string

// One address space of the network's own: nothing is peered with it. Each running instance of the app takes an
// address of the integration subnet, so a /24 leaves room well beyond maximumInstanceCount (40, api.bicep).
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-networking-options#subnets
var addressPrefix = '10.60.0.0/16'
var appSubnetPrefix = '10.60.1.0/24'
var privateEndpointSubnetPrefix = '10.60.2.0/24'

// Private DNS zone names of the public cloud, derived from the environment (the no-hardcoded-env-urls rule):
// privatelink.blob/queue/table.<storage suffix>, and for Key Vault privatelink.vaultcore.<the suffix after vault.>.
// https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns#storage
// https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns#security
var storageZones = [
  'blob'
  'queue'
  'table'
]
var keyVaultZone = 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: virtualNetworkName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        // Flex Consumption joins a subnet delegated to Microsoft.App/environments, used by no other app or plan.
        // https://learn.microsoft.com/en-us/azure/azure-functions/flex-consumption-how-to#enable-virtual-network-integration
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          // The app's traffic leaves through this subnet, and most of it is for the Internet: the source IMAP and
          // POP3 servers, the destination (imap.yandex.ru) and the Yandex 360 API. Without a NAT gateway the subnet
          // needs default outbound access, which new subnets no longer get unless asked for. A NAT gateway here
          // instead gives a fixed outbound address (for a source that allows listed addresses only).
          // https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/default-outbound-access
          defaultOutboundAccess: true
        }
      }
      {
        // Private endpoints only: nothing here starts a connection out.
        // https://learn.microsoft.com/en-us/azure/private-link/disable-private-endpoint-network-policy
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
          defaultOutboundAccess: false
        }
      }
    ]
  }

  resource appSubnet 'subnets' existing = {
    name: 'app'
  }

  resource privateEndpointSubnet 'subnets' existing = {
    name: 'private-endpoints'
  }
}

resource storageDnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for service in storageZones: {
    name: 'privatelink.${service}.${environment().suffixes.storage}'
    location: 'global'
    tags: tags
  }
]

resource keyVaultDnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: keyVaultZone
  location: 'global'
  tags: tags
}

// A zone answers only in the networks linked to it; registrationEnabled is off (these zones hold the endpoints'
// records, written by the zone groups below, not the VMs of the network).
resource storageDnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (service, i) in storageZones: {
    parent: storageDnsZones[i]
    name: vnet.name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource keyVaultDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: keyVaultDnsZone
  name: vnet.name
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

// One private endpoint per storage service the app uses (group ids blob, queue, table): the host and the Durable
// task hub use all three, MailImport's own containers are blobs.
// https://learn.microsoft.com/en-us/azure/storage/common/storage-private-endpoints
resource storageEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for service in storageZones: {
    name: 'pe-${storageAccount.name}-${service}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: vnet::privateEndpointSubnet.id
      }
      privateLinkServiceConnections: [
        {
          name: service
          properties: {
            privateLinkServiceId: storageAccount.id
            groupIds: [service]
          }
        }
      ]
    }
  }
]

// The zone group writes (and on deletion removes) the endpoint's A record in the zone.
// https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns-integration#private-dns-zone-group
resource storageEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (service, i) in storageZones: {
    parent: storageEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: service
          properties: {
            privateDnsZoneId: storageDnsZones[i].id
          }
        }
      ]
    }
  }
]

// https://learn.microsoft.com/en-us/azure/key-vault/general/private-link-service
resource keyVaultEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${keyVault.name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: vnet::privateEndpointSubnet.id
    }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: keyVault.id
          groupIds: ['vault']
        }
      }
    ]
  }
}

resource keyVaultEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: keyVaultEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: keyVaultDnsZone.id
        }
      }
    ]
  }
}

output appSubnetId string = vnet::appSubnet.id
